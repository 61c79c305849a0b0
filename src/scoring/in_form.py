"""Inside the qualification, a message is first read as the answer to the question asked.

The intent classifier sees one message without the question before it, so an answer often looks
like something else: a need stated as a noun phrase reads as a demo request, a company called
"... Partners" as a request for a person, a name like "Joy" as thanks. Looping on such a message
loses the visitor. So: a message counts as the answer when it parses as one, unless it is clearly
a question or a request to the assistant; a message repeated after an interruption reply is the
answer; and no question is asked more than twice in a row.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from datetime import date

from .answers import FORM_SLOTS, PROPER_NOUN_WORD, Answer, content_words, normalise_answer, says_dont_know
from .contact import ends_like_a_company_name

# Intents whose message is tried as the answer first, by the form's validator. A request for a
# person goes to its rule too, whose action asks here first ("Northwind Supply Partners" is a
# company).
ANSWER_FIRST_INTENTS = frozenset(
    {"inform", "greet", "thank", "affirm", "deny", "ask_pricing", "request_demo", "out_of_scope", "nlu_fallback"}
    | {"choose_slot", "more_slots", "human_handoff", "support_request", "ask_product"}
)
# Requests the dialogue rules answer (asking why, whether this is a bot, to stop, goodbye). Their
# actions still try the message as the answer first, but only one that says much more than the
# request counts ("we want to stop losing leads overnight" is a need, "stop asking" is not), and
# repeating it does not make it an answer.
RULE_INTENTS = frozenset({"ask_why", "bot_challenge", "stop", "goodbye", "request_data_export", "request_data_erasure"})
# Free-text slots accept nearly any words: an off-topic command must not become the need.
FREE_TEXT_SLOTS = frozenset({"need"})
# A free-text answer that says this many content words beyond its intent's own words is an answer.
_SAYS_MORE = 3
MAX_ASKS_IN_A_ROW = 2

# Chat openers before a question or command: "hmm what's the weather", "ok so tell me a joke".
_OPENER = re.compile(
    r"^\W*(?:(?:hmm+|um+|uh+|erm+|er|ah+|oh+|ok|okay|so|well|and|but|also|btw|lol|hey|hi|quick question)\b\W*)+",
    re.IGNORECASE,
)
_QUESTION_WORD_FIRST = re.compile(
    r"^\s*(how|what|why|when|where|who|which|can|could|would|will|do|does|did|is|are|should|may|shall"
    r"|whats|hows|wheres|whos|what's|how's|where's|who's)\b",
    re.IGNORECASE,
)


def is_question(text: str) -> bool:
    """Ends with a question mark or starts with a question word (after chat openers)."""
    unopened = _OPENER.sub("", text)
    return unopened.rstrip().endswith("?") or bool(_QUESTION_WORD_FIRST.search(unopened))


# Everyday requests to an assistant start with a command ("tell me a joke", "set a timer");
# a need is a statement or a noun phrase ("a forecast view for the finance team").
_COMMAND = re.compile(
    r"^\W*(please\s+)?(tell|give|show|play|set|translate|write|find|search|open|turn|remind|explain|calculate"
    r"|convert|recommend|make|send|order|call|text|email|read|list|define|spell|sing|check)\b",
    re.IGNORECASE,
)
_ABOUT_MY_DATA = (
    r"\b(my|our) (personal )?(data|information|info|details|records?)\b|\b(about|on|of) (me|us)\b"
    r"|\b(forget|erase|delete|remove) (me|us)\b|\bgdpr\b|\bright to be forgotten\b|\bsubject access\b"
    r"|\bwhat(ever)? (do )?you (know|have|hold|store|keep|saved?)\b"
)
# What each intent looks like when the visitor really means it.
_MEANS_IT = {
    "ask_pricing": r"\b(price|prices|pricing|cost|costs|how much|quote|per (user|seat|month))\b",
    "ask_product": r"\b(integrat\w*|sync\w*|api|webhooks?|sso|gdpr|soc ?2|self.?host\w*|on.?prem\w*|crms?"
    r"|calendars?|languages?|set ?up|onboarding|does (it|beacon)|do you (support|have|offer))\b",
    "request_demo": r"\b(demo|call me|a call|meeting|talk to|speak (to|with)|book|schedule|show me|walk ?through)\b",
    "greet": r"^\W*(hi|hello|hey|hiya|howdy|yo|good (morning|afternoon|evening))\b(\W+(there|again|all|team))?\W*$",
    "thank": r"^\W*(thanks|thank you|thx|ty|cheers|much appreciated)\b(\W+(a lot|so much|very much))?\W*$",
    "affirm": r"^\W*(yes|yeah|yep|yup|sure|ok|okay|right|correct|sounds good|absolutely)\W*$",
    "deny": r"^\W*(no|nope|nah|not really|no thanks)\W*$",
    "support_request": r"\b(log ?in|sign ?in|password|invoice|billing|charged|refund|bug|error|broken|crash\w*"
    r"|not working|stopped working|ticket|already (use|using)|existing customer|our account|cancel)\b",
    "human_handoff": r"\b(human|person|someone|somebody|agent|rep|representative|talk|speak|call|contact|real)\b",
    "stop": r"\b(stop|quit|enough|not interested|leave me|no more|unsubscribe|don'?t (contact|email|message))\b",
    "goodbye": r"\b(bye|goodbye|see (you|ya)|later|gotta go|have to go|talk soon|cya)\b",
    "bot_challenge": r"\b(bot|robot|human|real person|machine|ai|automated|chatbot)\b",
    "ask_why": r"\b(why|what for|reason|what do you need|what is it for|what's it for|what happens)\b",
    # About the visitor's own data, not their business's ("get rid of manual data entry" is a need).
    "request_data_export": _ABOUT_MY_DATA,
    "request_data_erasure": _ABOUT_MY_DATA,
}
# Words that carry each intent; what a message says beyond them (and beyond filler) is its content.
_INTENT_WORDS = {
    "ask_pricing": "price prices pricing cost costs much quote plan plans expensive cheap paying pay per seat month",
    "ask_product": "does do you it beacon work works support integrate integration integrations sync connect"
    " api crm calendar language languages have offer there tool product",
    "request_demo": "demo demos call meeting book schedule talk speak sales show walk through see product like get",
    "human_handoff": "human person someone somebody agent rep representative talk speak real sales team chat",
    "support_request": "support help account issue problem",
    "stop": "stop stopping quit enough interested asking questions leave alone more please bother",
    "goodbye": "bye goodbye later gotta talk soon cya",
    "bot_challenge": "bot robot human real person machine talking chatbot automated actual",
    "ask_why": "why reason know need asking ask information info want matter happens",
    "greet": "hi hello hey hiya howdy sup yo morning afternoon evening guys folks team there everyone people again",
    "request_data_export": "data information info details personal copy export download send stored store hold"
    " keep have know about records everything gdpr access saved save held whatever",
    "request_data_erasure": "data information info details personal delete erase remove wipe forget stored"
    " records everything gdpr right forgotten saved save held whatever",
}
_INTENT_WORD_SETS = {intent: frozenset(words.split()) for intent, words in _INTENT_WORDS.items()}
# The words of each numeric answer; an off-topic message with others ("the weather in lisbon
# today") is not that answer, though a fragment of it parses.
_ANSWER_WORDS = {
    "timeline": "day days week weeks month months quarter quarters year years next this end start beginning mid"
    " early late soon asap now today tomorrow within before after around roughly latest earliest urgent rush"
    " eventually someday sometime summer winter spring autumn fall half fiscal live launch ready plan planning"
    " hopefully probably ideally target aiming until till earliest january february march april june july"
    " august september october november december monday tuesday wednesday thursday friday weekend"
    " plans plan browsing researching research looking exploring curious idea decided yet pressure deadline"
    " approval contract renewal ends expires holidays christmas new done place running rollout sooner"
    " quickly fast immediately couple few several half",
    "budget": "budget around roughly approx approximately per month year annual annually monthly yearly dollars"
    " euros pounds usd eur gbp thousand grand million approved pending signed seat seats user users license"
    " spend allocated aside max maximum tops upto range between total",
    "company_size": "people employees staff headcount team person persons heads fte ftes company total globally"
    " worldwide around roughly across offices",
}
_ANSWER_WORD_SETS = {slot: frozenset(words.split()) for slot, words in _ANSWER_WORDS.items()}
_ALL_ANSWER_WORDS = frozenset().union(*_ANSWER_WORD_SETS.values())


# "at a 300 person logistics firm", "we're a small agency": who they are, not what they need.
_COMPANY_DESCRIPTION = re.compile(
    r"\b(?:at|for|with|from|in|we'?re|we are)\s+(?:a|an|the|our|my)\b(?:\s+[\w&'-]+){0,4}?\s+"
    r"(?:firm|company|business|startup|start-up|agency|shop|organi[sz]ation|org|group|provider|manufacturer"
    r"|retailer|brand|consultancy|practice|studio|bank|insurer|school|university|hospital|clinic|nonprofit"
    r"|charity|saas|vendor|distributor|wholesaler|carrier|team)s?\b",
    re.IGNORECASE,
)


# "I run revenue operations", "i'm the coo", "I head marketing": a role, up to where the
# sentence goes on ("... and we need", "... who handles leads", a comma).
_ROLE_STATEMENT = re.compile(
    r"\b(?:i|i'm|im|i am)\s+(?:run|head|lead|manage|own|oversee|look after|work in|am in charge of"
    r"|in charge of|the|a|an)\b.*?(?=\b(?:at|for|with|and|but|that|who|which|where|we|our|so|because)\b"
    r"|[,.;:!?]|$)",
    re.IGNORECASE,
)


def states_a_need(text_without_other_answers: str) -> bool:
    """What is left of a message once its other answers (role, budget, timeline...) and a
    description of the company are taken out still says something of its own: "I'm the COO at
    a 300 person logistics firm" states no need; "we need faster routing, budget 60k" does."""
    rest = _COMPANY_DESCRIPTION.sub(" ", _ROLE_STATEMENT.sub(" ", text_without_other_answers))
    return len(says_beyond(rest, _ALL_ANSWER_WORDS)) >= 2


_MEANS_IT_RE = {intent: re.compile(pattern, re.IGNORECASE) for intent, pattern in _MEANS_IT.items()}


# "can you help us book more demos from our traffic?" is a question that states a need.
_ABOUT_THEIR_BUSINESS = re.compile(r"\b(we|us|our|ours|my team|my company)\b", re.IGNORECASE)


_ADDRESS = re.compile(r"\S+@\S+|https?://\S+|www\.\S+", re.IGNORECASE)


def _without_addresses(text: str) -> str:
    """Email and web addresses say nothing about intent ("will.price@..." asks no price)."""
    return _ADDRESS.sub(" ", text)


def says_beyond(text: str, words: frozenset[str]) -> list[str]:
    """The content words of `text` that are not among `words` (an intent's or an answer's)."""
    return [word for word in content_words(_without_addresses(text)) if word not in words]


def says_more_than_its_intent(text: str, intent: str) -> bool:
    """The message says clearly more than its intent would: three content words beyond the
    intent's own, or a word beyond them about the visitor's own business."""
    beyond = says_beyond(text, _INTENT_WORD_SETS.get(intent, frozenset()))
    return len(beyond) >= _SAYS_MORE or bool(beyond and _ABOUT_THEIR_BUSINESS.search(text))


def says_its_intent(text: str, intent: str) -> bool:
    """The message uses the words its intent is said with ("could you give us a demo" for
    request_demo), not only its shape."""
    pattern = _MEANS_IT_RE.get(intent)
    return bool(pattern and pattern.search(text))


def is_request_to_assistant(text: str, intent: str, slot: str | None = None) -> bool:
    """A question, or the message is plainly what its intent says ("book a demo", "hi there").
    Asked for the need, a message that says much more than its intent ("we want to stop losing
    leads overnight"), or a question about their own business, is the need itself."""
    pattern = _MEANS_IT_RE.get(intent)
    text = _without_addresses(text)
    if intent == "support_request" and pattern and pattern.search(text):
        return True  # "i can't log in to our account": a customer's problem, not their need
    if slot in FREE_TEXT_SLOTS and says_more_than_its_intent(text, intent):
        return False
    return is_question(text) or bool(pattern and pattern.search(text))


def reads_as_answer(slot: str, text: str, intent: str, parsed: bool, repeated: bool) -> bool:
    """Whether the message answers `slot` rather than interrupting.

    `parsed`: the slot's normaliser understood the text; `repeated`: the visitor sent the same
    message again after the assistant's reply to it, which means "that *was* my answer"."""
    if intent not in ANSWER_FIRST_INTENTS | RULE_INTENTS:
        return False
    if repeated and text.strip() and intent not in RULE_INTENTS:
        # Said again, it was the answer; but "thanks" twice is thanks twice, unless typed as a
        # name where a name is asked ("Joy", "Hi-Tech").
        return not is_courtesy(text) or (slot in _NAME_SLOTS and text.strip()[:1].isupper())
    if intent in RULE_INTENTS and slot in FREE_TEXT_SLOTS:
        return parsed and says_more_than_its_intent(text, intent)
    if parsed and slot in _NAME_SLOTS and looks_like_a_proper_name(text):
        return True  # "Stop & Go Logistics", "Will Price": a name, whatever it resembles
    if not parsed:
        return False
    if is_request_to_assistant(text, intent, slot) and not _uptalk(text, intent):
        return False
    if intent in ("out_of_scope", "nlu_fallback"):
        # Off-topic words parse as a need too: there, a command to an assistant is not taken;
        # and a number or a time word inside an unrelated sentence is not the answer.
        if slot in FREE_TEXT_SLOTS and is_command(text):
            return False
        beyond = says_beyond(text, _ANSWER_WORD_SETS.get(slot, frozenset()))
        if slot in _ANSWER_WORD_SETS and not says_dont_know(text) and len(beyond) >= 2:
            return False
    return True


_NAME_SLOTS = frozenset({"company", "person_name"})


def looks_like_a_proper_name(text: str) -> bool:
    """Two to five words, each capitalised (or a joining word), no question mark: a company
    or a person's name as typed ("Stop & Go Logistics", "Will Price", "Sol y Mar Travel")."""
    words = text.strip().rstrip(".!").split()
    capitalised = [w for w in words if w[:1].isupper()]
    return (
        2 <= len(words) <= 5
        and "?" not in text
        and len(capitalised) >= 2
        and all(PROPER_NOUN_WORD.match(w) for w in words)
    )


def _uptalk(text: str, intent: str) -> bool:
    """An answer said with a rising tone ("maybe next month?", "like 55?", "i guess im the
    decision maker?"): a question mark, but no question word first and nothing the intent means."""
    pattern = _MEANS_IT_RE.get(intent)
    return (
        text.rstrip().endswith("?")
        and not _QUESTION_WORD_FIRST.search(_OPENER.sub("", text))
        and not (pattern and pattern.search(text))
    )


def is_command(text: str) -> bool:
    """An everyday command to an assistant ("tell me a joke", "set a timer")."""
    return bool(_COMMAND.search(_OPENER.sub("", text)))


# Whole messages that are courtesy only ("thanks", "ok", "hi there"): no answer to anything.
_COURTESY_RE = tuple(_MEANS_IT_RE[intent] for intent in ("greet", "thank", "affirm", "deny"))


def is_courtesy(text: str) -> bool:
    return any(pattern.search(text) for pattern in _COURTESY_RE)


def status_after_asks(text: str, intent: str, asked: str, today: date) -> str:
    """How a message still not understood after two asks is kept: as the visitor's answer,
    marked uncertain, for the rep to read ("heaps"); or, when it was no answer to this question
    ("thanks", "but why though?", "what's the weather", "in a couple of months" asked the
    role), as the question skipped."""
    if is_courtesy(text) or is_request_to_assistant(text, intent):
        return "skipped"
    if answer_to_another_question(asked, text, FORM_SLOTS, today):
        return "skipped"
    return "uncertain"


def answer_to_another_question(
    asked: str, text: str, open_slots: Iterable[str], today: date
) -> tuple[str, Answer] | None:
    """A message that is no answer to the question asked but plainly answers another one still
    open: an email address asked for the name, a company name ("Harbour Line Freight") asked
    for the name, a bare timeline ("early next quarter") asked for the budget. Only answers
    whose form gives them away are taken; numbers fit too many questions to guess."""
    open_slots = set(open_slots) - {asked}
    for slot in ("email", "company", "timeline"):
        if slot not in open_slots:
            continue
        answer = normalise_answer(slot, text, today)
        if answer.status != "ok":
            continue
        if slot == "email" and len(text.split()) > 6:
            continue  # an address inside a longer sentence may be someone else's
        if slot == "company" and not (looks_like_a_proper_name(text) and ends_like_a_company_name(text)):
            continue
        if slot == "timeline" and says_beyond(text, _ANSWER_WORD_SETS["timeline"]):
            continue
        return slot, answer
    return None


def asked_too_often(asks_so_far: int) -> bool:
    """After this many unanswered asks in a row, record what the visitor said and move on."""
    return asks_so_far >= MAX_ASKS_IN_A_ROW


def uncertain_answer_reasons(answers: list[dict]) -> list[str]:
    """Reasons that name the answers kept after two asks without being understood, so the rep
    knows which facts the decision could not use ("budget: 'heaps' (not understood)")."""
    latest: dict[str, dict] = {}
    for answer in answers:  # oldest first: a later answer to the same question wins
        latest[answer["slot"]] = answer
    reasons = []
    for slot, answer in latest.items():
        if answer["status"] == "uncertain" and answer.get("raw_text"):
            reasons.append(f"{slot.replace('_', ' ')}: {answer['raw_text']!r} (not understood, asked twice)")
        elif answer["status"] == "skipped":
            reasons.append(f"{slot.replace('_', ' ')}: not answered (asked twice)")
    return reasons
