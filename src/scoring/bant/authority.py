"""Authority answers: a job title or a sentence ("I'm the CTO", "my boss decides") -> a level."""

from __future__ import annotations

import re

from .numbers import require_text

# People who will not buy: students, academics and researchers, job seekers, rival vendors and
# the press. A researcher inside a company ("UX researcher") is a user.
_NOT_A_BUYER_RE = re.compile(
    r"\b(?:students?|undergrad|grad\s+student|phd\s+(?:student|candidate)|studying\s+(?:at|for|in)|"
    r"(?:school|class|uni|university|college|course)\s+(?:project|assignment|paper)|homework|"
    r"thesis|dissertation|job\s*seeker|job\s+hunting|looking\s+for\s+(?:a\s+|an\s+)?(?:new\s+)?"
    r"(?:job|work|position|role|internship)|apply(?:ing)?\s+(?:for|to)\s+(?:a\s+|an\s+|the\s+|this\s+)?"
    r"(?:job|role|position|internship|opening|work)|job\s+application|internship|"
    r"are\s+you\s+hiring|unemployed|between\s+jobs|competitors?|competing|rivals?|competitive\s+(?:analysis|research|intel\w*)|"
    r"(?:build|make|sell|offer|develop|run)\s+(?:a\s+|an\s+|the\s+)?(?:very\s+)?(?:similar|same|comparable)\s+"
    r"(?:\w+\s+){0,2}?(?:product|tool|platform|software|service|solution|thing)s?|"
    r"(?<!ux\s)(?<!user\s)(?<!design\s)(?<!product\s)researchers?|academics?|professor|lecturer|postdoc|post-doc|"
    r"research\s+(?:project|paper|study|lab|group)|(?:at|from)\s+(?:a|the)\s+university|my\s+(?:uni|university)|"
    r"journalist|reporter|blogger|writing\s+(?:an?\s+)?(?:article|story|piece|blog\s+post|post|paper)|"
    r"for\s+(?:an?\s+)?article|press\s+inquiry|media\s+inquiry|"
    r"for\s+(?:a|my|our)\s+(?:research\s+)?(?:paper|thesis|study|dissertation))\b"
)
# Titles of the people a visitor may defer to.
_OTHER_DECIDER = (
    r"(?:boss|bosses|manager|supervisor|ceo|cto|cfo|coo|cio|cmo|founders?|owner|director|vp|"
    r"head\s+of\s+\w+|management|leadership|exec(?:utive)?s?|board|higher[- ]ups|team\s+lead)"
)
# Someone else decides: "not the decision maker", "my boss decides", "for our CTO", "the CFO signs".
# Someone else decides: "not the decision maker", "my boss decides", "for our CTO", "the CFO
# signs", "someone else buys", "I don't hold the budget", "procurement does the buying".
_DEFERS_RE = re.compile(
    r"(?:\bnot|n't|\bnever)\s+(?:\w+\s+){0,2}?(?:the\s+|a\s+|an\s+)?(?:final\s+|main\s+|only\s+|one\s+who\s+)?"
    r"(?:decision[- ]?maker|decides?|deciding|decisions?|sign(?:s|ing)?[- ]?off|in\s+charge|call|say|"
    r"approve|budget\s+holder|up\s+to\s+me|mine|buyer|buys?|buying|pays?|paying|"
    r"(?:hold|own|control|have|manage)\s+(?:the\s+|a\s+|any\s+)?budget)\b"
    r"|\bno\s+(?:final\s+)?(?:say|authority|decision|power)\b"
    r"|\bno\s+(?:purchasing|buying|spending|signing|budget)\s+(?:power|authority)\b|\babove\s+my\s+pay\s*grade\b"
    r"|\b(?:some(?:one|body)\s+else|other\s+people|another\s+(?:team|department|person))\s+(?:\w+\s+)?"
    r"(?:decides?|buys?|pays?|signs?|approves?|handles?|makes?|holds?|owns?|picks?|chooses?)\b"
    r"|\b(?:procurement|purchasing|finance|legal)\s+(?:team\s+|department\s+)?(?:decides?|handles?|does|buys?|"
    r"signs?|approves?|owns?)\b(?:\s+(?:the\s+)?(?:buying|purchasing|purchases?|budget))?"
    r"|\b(?:evaluat\w*|research\w*|looking|choosing|picking|shortlisting|recommending|sourcing|comparing)\s+"
    r"(?:\w+\s+){0,3}?for\s+(?:a|my|our|the)\s+client\b|\b(?:my|our|the)\s+client\s+(?:\w+\s+)?(?:decides?|pays?|buys?|signs?)\b"
    rf"|\b(?:my|our)\s+{_OTHER_DECIDER}\b"
    rf"|\b(?:to|for)\s+(?:the|our|my)\s+{_OTHER_DECIDER}\b|\b{_OTHER_DECIDER}'s\b"
    rf"|\bthe\s+{_OTHER_DECIDER}\s+(?:\w+\s+)?(?:signs?|decides?|approves?|makes\s+the|has\s+the\s+final)\b"
    r"|\breport(?:s|ing)?\s+(?:\w+\s+)?to\b|\bneeds?\s+(?:approval|sign[- ]?off|to\s+(?:ask|check|run\s+it))\b"
    r"|\b(?:on\s+behalf\s+of|assistant\s+to)\b|\bup\s+to\s+(?:my|our|the)\b|\bhigher[- ]ups\b"
    r"|\bdecide\s+(?:together|as\s+a\s+team|jointly)\b|\bjoint\s+decision\b|\bas\s+a\s+team\b"
)
# "I sign off", "my call", "I decide", "final say", "budget holder", "I run my own business",
# and holding the budget without a title: "it's my budget", "budget sits with me".
_DECIDES_RE = re.compile(
    r"\bdecision[- ]?maker\b|\b(?:final|last)\s+say\b|\bup\s+to\s+me\b|\b(?:my|me)\s+(?:call|decision)\b"
    r"|\bbudget\s+(?:holder|owner)\b|\bmy\s+own\s+(?:company|business|startup|agency|firm|shop)\b"
    r"|\bjust\s+me\b|\bself[- ]employed\b|\bfreelanc\w*|\bsolo\w*|\bsole\s+(?:trader|proprietor)\b"
    r"|\brun\s+the\s+(?:whole\s+)?show\b"
    # "i run revenue operations and sign off on tooling": the sign-off is theirs
    r"|\bi\b[^.,;?]{0,40}?\band\s+(?:i\s+)?sign(?:s)?\s+off\b"
    r"|\bi\s+(?:\w+\s+)?(?:decide|sign(?:\s+it)?[- ]off|sign\s+the\s+checks?|approve|call\s+the\s+shots"
    r"|make\s+the\s+(?:final\s+)?(?:call|decisions?)|sign\s+(?:the\s+)?contracts?|approve\s+(?:the\s+)?spend"
    r"|(?:own|hold|control|manage)\s+(?:the\s+|our\s+|this\s+)?(?:\w+\s+)?budget|hold\s+the\s+purse\s+strings)\b"
    r"|\b(?:it'?s|its|it\s+is|out\s+of)\s+my\s+(?:own\s+)?budget\b|\bbudget\s+(?:is|sits|lies)\s+(?:mine|with\s+me)\b"
    r"|\b(?:signing|budget|purchasing|buying|spending)\s+(?:authority|power)\b|\bgo(?:es)?\s+through\s+me\b"
    r"|\b(?:i'?m|i\s+am)\s+the\s+one\s+(?:paying|who\s+pays|buying|who\s+buys|signing)\b"
    r"|\bi\s+(?:own|run|founded|started)\s+(?:the|this|a|an|my|our)\s+(?:\w+\s+)?"
    r"(?:company|business|startup|agency|firm|shop|place)\b"
)
_INFLUENCES_RE = re.compile(
    r"\bi\s+(?:\w+\s+)?(?:recommend|suggest|advise|shortlist|influence|evaluat\w*|research\w*\s+options)\b"
    r"|\b(?:recommendations?|buying\s+committee|committee|shortlist\w*|evaluating|evaluation|"
    r"have\s+(?:a|some)\s+say|have\s+input|give\s+input|part\s+of\s+the\s+decision|"
    r"help\s+(?:\w+\s+)?decide|consultant|consulting|advisor|adviser|advising)\b"
)
_USER_PHRASES_RE = re.compile(
    r"\b(?:just|only)\s+(?:be\s+)?(?:using|use)\b|\bi'?ll\s+be\s+using\b|\bend[- ]user\b|\b(?:i'?d|i\s+would|i'?ll|i\s+will)\s+"
    r"(?:just\s+|mostly\s+|only\s+)?be\s+using\b|\bindividual\s+contributor\b"
)
# Job titles by level, as whole words (plural allowed).
_DECISION_MAKER_TITLES_RE = re.compile(
    r"\b(?:ceo|cto|cfo|coo|cio|cmo|cro|cpo|ciso|cdo|chief|co-founder|founder|owner|president|vp|svp|"
    r"evp|head\s+of|director|general\s+manager|partner|proprietor|chairman|chairwoman|chairperson|"
    r"board\s+member|entrepreneur)s?\b"
)
_INFLUENCER_TITLES_RE = re.compile(
    r"\b(?:manager|management|team\s+lead|tech\s+lead|technical\s+lead|project\s+lead|"
    r"lead\s+(?:dev|developer|engineer|architect|designer|analyst)|principal\s+\w+|"
    # "sales lead" is a role, "inbound leads" are prospects: only a team's name before "lead".
    r"(?:sales|marketing|design|engineering|product|growth|data|ops|operations|qa|frontend|backend|devops|"
    r"content|squad|pod|program|programme|account|regional|support|research|ux|ui|seo|crm|revops|it|security)"
    r"\s+lead(?!s)|"
    r"supervisor|architect|product\s+owner|procurement|purchasing|buyer|executive\s+assistant|"
    r"chief\s+of\s+staff|manage\s+(?:a|the|our)\s+team|i\s+lead\s+(?:a|the|our)\s+(?:\w+\s+)?team)s?\b"
)
_USER_TITLES_RE = re.compile(
    r"\b(?:engineer|engineering|developer|dev|programmer|coder|analyst|designer|specialist|"
    r"associate|assistant|coordinator|admin|administrator|representative|rep|agent|scientist|"
    r"accountant|marketer|operator|technician|employee|staff|intern|sdr|bdr|account\s+executive|"
    r"support|clerk|recruiter|writer|editor|user|tester|qa|researcher)s?\b"
)
# Title words that do not make the visitor a decision maker.
_NOT_DECISION_MAKER_TITLES_RE = re.compile(
    r"\bpartner\s+(?:program|company|agency|manager|portal|network)\b|\bhead\s*count\b"
    r"|\bchief\s+of\s+staff\b|\bproduct\s+owner\b"
)
_ROLE_WORDS = (
    "founder",
    "cofounder",
    "owner",
    "president",
    "director",
    "partner",
    "manager",
    "management",
    "supervisor",
    "architect",
    "engineer",
    "developer",
    "programmer",
    "analyst",
    "designer",
    "specialist",
    "associate",
    "assistant",
    "coordinator",
    "administrator",
    "representative",
    "scientist",
    "accountant",
    "student",
    "journalist",
    "reporter",
    "competitor",
    "consultant",
)


def _fix_role_typos(text: str) -> str:
    """Replace misspelt role words ("manger", "enginer", "direcor") with the right spelling.

    A word of six letters or more that is one edit (insert, delete, substitute, swap of
    neighbours) from a role word is taken as that word. Words that merely start with a role
    word ("directory", "partnership"), the start of one ("manage") and verb forms
    ("reported", "managing") are kept.
    """

    def fix(match: re.Match) -> str:
        word = match.group()
        if len(word) < 6 or word.endswith(("ed", "ing")):
            return word
        for role in _ROLE_WORDS:
            if word.startswith(role) or role.startswith(word):  # "managing", "manage" (a verb)
                return word
            if _within_one_edit(word, role):
                return role
        return word

    return re.sub(r"[a-z]+", fix, text)


def _within_one_edit(a: str, b: str) -> bool:
    if abs(len(a) - len(b)) > 1 or a == b:
        return False
    if len(a) == len(b):
        diffs = [i for i in range(len(a)) if a[i] != b[i]]
        return len(diffs) == 1 or (
            len(diffs) == 2 and diffs[1] == diffs[0] + 1 and a[diffs[0]] == b[diffs[1]] and a[diffs[1]] == b[diffs[0]]
        )
    shorter, longer = (a, b) if len(a) < len(b) else (b, a)
    return any(longer[:i] + longer[i + 1 :] == shorter for i in range(len(longer)))


def parse_authority(text: str) -> str:
    """Say how much say the visitor has over the purchase, from a job title or a sentence.

    Returns "none" for people who will not buy: students, academics and researchers (a
    "UX researcher" or "user researcher" works in a buying company and is a user), job
    seekers, rival vendors ("we build a competing product", "I work for a competitor") and
    the press. Else "decision_maker" (C-level, founder, owner, VP, head of, director, partner,
    "I sign off", "my call", or holding the budget without a title: "it's my budget", "I hold
    the budget"), "influencer" (manager, team lead, consultant, "I recommend", "buying
    committee") or "user" (engineer, analyst, "I'd just be using it"); "unknown" when the text
    names none of these. The highest level named wins ("developer and co-founder" is a decision
    maker), except that denying buying power ("not my call", "I don't make the decision",
    "someone else buys", "my boss decides") gives influencer: the visitor takes part in the
    choice without making it. It gives user instead when the visitor describes themselves as
    a user ("I just use it, someone else buys", "developer, my boss decides"). A consultant
    evaluating for a client is an influencer: the client buys on their advice.
    """
    text = require_text(text, "parse_authority").lower().replace("\u2019", "'")
    text = re.sub(r"\b(do|does|did|is|are|was|can|could|would|wo|have|has)nt\b", r"\1n't", text)  # "dont"
    text = re.sub(r"\bco\s?-?\s?founder", "cofounder", text.replace("v.p.", "vp"))
    text = _fix_role_typos(text).replace("cofounder", "co-founder")
    if _NOT_A_BUYER_RE.search(text):
        return "none"
    if re.search(r"\bmy\s+co-founders?\b", text):
        return "decision_maker"  # "me and my co-founder decide together"
    if _DEFERS_RE.search(text):
        # Titles of the people deferred to ("my boss, the CEO") say nothing about the visitor.
        own_text = _DEFERS_RE.sub(" ", text)
        is_user = _USER_TITLES_RE.search(own_text) or _USER_PHRASES_RE.search(own_text)
        influences = _INFLUENCER_TITLES_RE.search(own_text) or _INFLUENCES_RE.search(text)
        return "user" if is_user and not influences else "influencer"
    titles = _NOT_DECISION_MAKER_TITLES_RE.sub(" ", text)
    if _DECIDES_RE.search(text) or _DECISION_MAKER_TITLES_RE.search(titles):
        return "decision_maker"
    if _INFLUENCER_TITLES_RE.search(text) or _INFLUENCES_RE.search(text):
        return "influencer"
    if _USER_TITLES_RE.search(text) or _USER_PHRASES_RE.search(text):
        return "user"
    return "unknown"
