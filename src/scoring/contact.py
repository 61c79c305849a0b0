"""Read the contact details a visitor types in chat: work email, name and company.

- `parse_work_email("sure, it's Jane.Doe@Acme.io")` -> EmailAddress("Jane.Doe@acme.io", "acme.io", False)
- `explain_invalid_email("jane@acme")` -> a short reason the assistant can say
- `parse_person_name("my name is jane doe")` -> "Jane Doe"
- `parse_company_name("I work at Acme Corp")` -> "Acme Corp"
- `company_from_email_domain("acme-corp.io")` -> "Acme Corp"

Email syntax is checked by `email-validator` with the deliverability (DNS) check off, so no
network is used. `free_mail_domains()` (gmail.com, outlook.com...) is config/free_mail.yml's
list, the one routing uses.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cache

from email_validator import EmailNotValidError, validate_email

__all__ = [
    "EmailAddress",
    "free_mail_domains",
    "parse_work_email",
    "explain_invalid_email",
    "parse_person_name",
    "parse_company_name",
    "company_from_email_domain",
]

_DOMAIN_RE = re.compile(r"[a-z0-9-]+(?:\.[a-z0-9-]+)+")


@cache
def free_mail_domains() -> frozenset[str]:
    """The free-mail and ISP domains of config/free_mail.yml (the configured config folder), the
    list routing uses too. Read once, on first use; start-up validates the file (handoff)."""
    from appconfig.settings import load_settings
    from appconfig.yamlfile import load_yaml

    path = load_settings().config_dir / "free_mail.yml"
    listed = load_yaml(path).get("domains") or []
    return frozenset(domain.strip().lower() for domain in listed if isinstance(domain, str))


EXAMPLE_EMAIL = "jane@acme.com"


def _require_text(text: object, function: str) -> str:
    if not isinstance(text, str):
        raise TypeError(f"{function}() expects the visitor's text as str, got {type(text).__name__}")
    return text


# ---------------------------------------------------------------------------------------------
# Email
# ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class EmailAddress:
    """A syntactically valid address: the local part as typed, the domain in lower case."""

    address: str
    domain: str
    is_free_mail: bool


# A run of characters around an @, stopping at spaces and the punctuation that wraps an
# address in a sentence ("<jane@acme.io>", "(jane@acme.io)", "jane@acme.io, thanks").
_EMAIL_CANDIDATE_RE = re.compile(r"[^\s<>()\[\]{},;:\"]*@[^\s<>()\[\]{},;:\"]*")


def _email_candidates(text: str) -> list[str]:
    return [m.group().strip(".!?'`*").removeprefix("mailto:") for m in _EMAIL_CANDIDATE_RE.finditer(text)]


def parse_work_email(text: str) -> EmailAddress | None:
    """The first syntactically valid email address in the text, or None.

    "sure, it's Jane.Doe@Acme.io!" gives address "Jane.Doe@acme.io", domain "acme.io".
    Special-use domains (localhost, .test, .invalid) are refused; nothing is looked up.
    """
    for candidate in _email_candidates(_require_text(text, "parse_work_email")):
        try:
            checked = validate_email(candidate, check_deliverability=False)
        except EmailNotValidError:
            continue
        domain = checked.domain.lower()
        return EmailAddress(
            address=f"{checked.local_part}@{domain}",
            domain=domain,
            is_free_mail=domain in free_mail_domains() or checked.ascii_domain.lower() in free_mail_domains(),
        )
    return None


def explain_invalid_email(text: str) -> str:
    """A short reason, to tell the visitor, why the text holds no valid email address.

    Returns "" when the text does hold one (see `parse_work_email`).
    """
    text = _require_text(text, "explain_invalid_email").strip()
    if not text:
        return f"That was empty. Could you type your work email, like {EXAMPLE_EMAIL}?"
    if parse_work_email(text):
        return ""
    if "@" not in text:
        if re.search(r"\bat\b.+\bdot\b", text, re.IGNORECASE):
            return f"Please write it with the @ sign and dots, like {EXAMPLE_EMAIL}."
        return f"That has no @ sign. A work email looks like {EXAMPLE_EMAIL}."
    if re.search(r"\s@|@\s", text):
        return f"There's a space next to the @. Please type the address without spaces, like {EXAMPLE_EMAIL}."
    candidate = _email_candidates(text)[0]
    if candidate.count("@") > 1:
        return f"That has more than one @ sign. A work email has exactly one, like {EXAMPLE_EMAIL}."
    domain = candidate.rsplit("@", 1)[1]
    if domain and "." not in domain:
        return f"The part after the @ needs a domain ending such as .com, like {EXAMPLE_EMAIL}."
    try:
        validate_email(candidate, check_deliverability=False)
    except EmailNotValidError as error:
        return f"{error} A work email looks like {EXAMPLE_EMAIL}."
    return f"That doesn't look like an email address. A work email looks like {EXAMPLE_EMAIL}."


# ---------------------------------------------------------------------------------------------
# Person name
# ---------------------------------------------------------------------------------------------

_MAX_NAME_LENGTH = 80
# Greetings and fillers before the answer: "hi, sure, ...".
_FILLER_RE = re.compile(
    # "Hi-Tech Supply" keeps its "Hi": a hyphen joined to the word is part of the name.
    r"^(?:(?:hi|hello|hey|sure|ok|okay|yes|yeah|yep|of\s+course|well|so)\b(?!-\w)[\s,!.:;-]*)+",
    re.IGNORECASE,
)
_NAME_INTRO_RE = re.compile(
    r"^(?:my\s+(?:full\s+)?name\s+is|my\s+name's|name's|name\s+is|the\s+name'?s?|i\s+am|i'm|im|"
    r"it's|its|it\s+is|this\s+is|call\s+me|(?:they|you\s+can|people)\s+call\s+me|name)\s*[:-]?\s+",
    re.IGNORECASE,
)
_HONORIFIC_RE = re.compile(r"^(?:mr|mrs|ms|miss|mx|dr|prof|sir|madam)\.?\s+", re.IGNORECASE)
# Where a name stops: "Bob from Acme", "Jane Doe, CTO", "Sam here".
_NAME_END_RE = re.compile(
    r"\s+(?:from|at|with|and|here|of|in|btw|by\s+the\s+way)\b.*$|[,;:!()/|].*$"
    r"|(?<=[^\W\d_]{2})\.(?:\s.*)?$",
    re.IGNORECASE,
)
_NAME_RE = re.compile(r"[^\W\d_]+(?:(?:[-' ]|\.\s?)[^\W\d_]+)*\.?")
# Words that show the answer is not a name: refusals, questions, small talk.
_NOT_NAME_WORDS = frozenset(
    [
        "no",
        "nope",
        "nah",
        "yes",
        "yeah",
        "yep",
        "why",
        "what",
        "who",
        "how",
        "hi",
        "hello",
        "hey",
        "ok",
        "okay",
        "sure",
        "thanks",
        "thank",
        "test",
        "testing",
        "asdf",
        "anonymous",
        "anon",
        "none",
        "nothing",
        "nobody",
        "idk",
        "skip",
        "pass",
        "later",
        "stop",
        "private",
        "secret",
        "not",
        "rather",
        "say",
        "tell",
        "you",
        "your",
        "the",
        "a",
        "an",
        "to",
        "do",
        "dont",
        "don't",
        "is",
        "are",
        "my",
        "me",
        "i",
        "we",
        "bot",
        "human",
        "user",
        "guest",
        "unknown",
        "prefer",
        "business",
        "of",
        "just",
    ]
)
# Words of company names, not of people's: "Fernwood Analytics" answers the company question.
_COMPANY_NAME_WORDS = frozenset(
    str.split(
        "analytics logistics supply supplies solutions software systems labs lab group partners consulting"
        " technologies technology tech inc ltd gmbh llc corp corporation company agency studio studios media"
        " digital holdings industries services robotics ventures capital networks insurance bank foods"
        " roasters manufacturing retail health healthcare pharma energy logistic cloud data ai freight shipping"
        " transport transportation airways airlines motors dental clinic construction engineering architects"
    )
)
_LOWERCASE_PARTICLES = frozenset(
    ["van", "von", "de", "da", "di", "del", "della", "der", "den", "du", "la", "le", "ter", "bin", "al"]
)


def ends_like_a_company_name(text: str) -> bool:
    """Two or more words, the last a word of company names: "Harbour Line Freight", "Acme Ltd"."""
    words = text.strip().rstrip(".!").split()
    return len(words) > 1 and words[-1].lower().strip(".,") in _COMPANY_NAME_WORDS


def parse_person_name(text: str) -> str | None:
    """The visitor's name, tidied, or None when the answer is not a name.

    "my name is jane doe" -> "Jane Doe", "I'm Bob" -> "Bob", "it's Ana-Maria O'Neil" ->
    "Ana-Maria O'Neil". Refused: questions ("why?"), digits, email addresses, more than five
    words or 80 characters, refusals and small talk ("no", "rather not say").
    """
    text = _require_text(text, "parse_person_name").strip().replace("\u2019", "'")
    if "?" in text or "@" in text or re.search(r"\d", text):
        return None
    text = _FILLER_RE.sub("", text)
    text = _NAME_INTRO_RE.sub("", text)
    text = _HONORIFIC_RE.sub("", text)
    text = _NAME_END_RE.sub("", text).strip(" .'\"")
    words = text.split()
    if (
        not _short_enough(text, 5, _MAX_NAME_LENGTH)
        or not _NAME_RE.fullmatch(text)
        or any(word.lower().strip(".") in _NOT_NAME_WORDS for word in words)
        or ends_like_a_company_name(text)
    ):
        return None
    return " ".join(_capitalise_name_word(word, first=i == 0) for i, word in enumerate(words))


def _short_enough(text: str, max_words: int, max_chars: int) -> bool:
    """Some words, but not a sentence: what is left of an answer that names something."""
    return 0 < len(text.split()) <= max_words and len(text) <= max_chars


def _capitalise_name_word(word: str, first: bool) -> str:
    """ "o'neil" -> "O'Neil", "ana-maria" -> "Ana-Maria", "van" stays "van" inside a name;
    a word typed in mixed case ("McDonald") is kept as typed."""
    if not (word.islower() or word.isupper()):
        return word
    if not first and word.lower() in _LOWERCASE_PARTICLES:
        return word.lower()
    return re.sub(r"[^\W\d_]+", lambda m: m.group().capitalize(), word.lower())


# ---------------------------------------------------------------------------------------------
# Company name
# ---------------------------------------------------------------------------------------------

_MAX_COMPANY_LENGTH = 80
# "I work at", "I'm a developer at", "I'm with": the company follows.
_WORKPLACE_INTRO_RE = re.compile(
    r"^.*?\b(?:work(?:s|ing)?|employed|(?:i'm|i\s+am|im)\b[^,.;]*?)\s+(?:at|for|with|from)\s+",
    re.IGNORECASE,
)
_COMPANY_INTRO_RE = re.compile(
    r"^(?:(?:we're|we\s+are|were)(?:\s+called)?|(?:our|the|my)\s+company(?:'s|\s+is)?(?:\s+name\s+is|\s+called)?|"
    r"company(?:\s+name)?\s*(?:is|:)|it's|its|it\s+is|(?:(?:an?|the|this)\s+(?:[\w-]+\s+){0,3}?)?(?:called|named)|"
    r"at|for|with|from)\s*[:-]?\s+",
    re.IGNORECASE,
)
# Where a company name stops: "Acme, we make widgets", "Initech GmbH in Berlin", "Acme Inc."
_COMPANY_END_RE = re.compile(
    r"\s+(?:as|where|which|who|based\s+in|in|with|and\s+(?:i|we|i'm|we're|my|our))\b.*$"
    r"|\s+-\s+.*$|[,;!?()|].*$|(?<=[^\W\d_]{2})\.(?:\s.*)?$",
    re.IGNORECASE,
)
_COMPANY_SUFFIXES = {
    "gmbh": "GmbH",
    "llc": "LLC",
    "inc": "Inc",
    "ltd": "Ltd",
    "plc": "PLC",
    "ag": "AG",
    "sa": "SA",
    "bv": "BV",
    "nv": "NV",
    "llp": "LLP",
    "sas": "SAS",
    "sarl": "SARL",
    "srl": "SRL",
    "spa": "SpA",
    "kg": "KG",
    "oy": "Oy",
    "ab": "AB",
    "as": "AS",
    "pty": "Pty",
    "co": "Co",
    "corp": "Corp",
    "ug": "UG",
    "se": "SE",
    "kk": "KK",
}
# Answers that name no company: refusals, and people who work on their own.
_NO_COMPANY_RE = re.compile(
    r"^(?:no|nope|nah|none|nothing|n/?a|idk|dunno|skip|pass|private|secret|confidential|test|"
    r"not\s+sure|i\s+don'?t\s+know|don'?t\s+know)\W*$"
    r"|^(?:not\b|rather\b|prefer\b|i'?d\s+rather\b|none\s+of\b|why\b|what\b|who\b|how\b)"
    r"|\b(?:myself|just\s+me|freelanc\w*|self[- ]employed|unemployed|students?|nobody)\b",
    re.IGNORECASE,
)


# "around 60", "~120 people": the size, not the company.
_HEADCOUNT_RE = re.compile(
    r"\W*(?:about|around|roughly|approx\w*|maybe|like|~|<|>|over|under)?\s*\d[\d,.\s-]*k?"
    r"\s*(?:people|employees|staff|ftes?|heads|persons)?\W*",
    re.IGNORECASE,
)


def parse_company_name(text: str) -> str | None:
    """The visitor's company, tidied, or None when the answer names none.

    "I work at Acme Corp" -> "Acme Corp", "we're globex." -> "Globex", "Initech GmbH" stays;
    a sentence's final dot goes ("Acme Inc." -> "Acme Inc"). Text typed all in lower case is
    capitalised word by word (legal forms such as GmbH and LLC in their usual spelling);
    anything else keeps the visitor's spelling.
    """
    text = _require_text(text, "parse_company_name").strip().replace("\u2019", "'")
    if "@" in text or _NO_COMPANY_RE.search(text) or _HEADCOUNT_RE.fullmatch(text):
        return None
    text = _FILLER_RE.sub("", text)
    text = _WORKPLACE_INTRO_RE.sub("", text, count=1)
    text = _COMPANY_INTRO_RE.sub("", text, count=1)
    text = _COMPANY_END_RE.sub("", text).strip(" '\"`*")
    if (
        not _short_enough(text, 8, _MAX_COMPANY_LENGTH)
        or not re.search(r"[^\W\d_]", text)
        or _NO_COMPANY_RE.search(text)
    ):
        return None
    words = text.split()
    if text.islower():
        text = " ".join(_COMPANY_SUFFIXES.get(word, word[0].upper() + word[1:]) for word in words)
    return text


def company_from_email_domain(domain: str) -> str | None:
    """A readable company name guessed from an email domain, or None for free-mail domains.

    "acme-corp.io" -> "Acme Corp", "mail.initech.co.uk" -> "Initech"; an address may be
    passed whole ("jane@acme.io").
    """
    domain = _require_text(domain, "company_from_email_domain").strip().lower().rsplit("@", 1)[-1]
    domain = domain.removeprefix("www.").rstrip(".")
    if domain in free_mail_domains() or not _DOMAIN_RE.fullmatch(domain):
        return None
    labels = domain.split(".")
    # "initech.co.uk": the name sits before a two-part public suffix.
    two_part_suffix = (
        len(labels) >= 3
        and len(labels[-1]) == 2
        and labels[-2]
        in {
            "co",
            "com",
            "org",
            "net",
            "ac",
            "gov",
            "edu",
            "ltd",
            "plc",
            "ne",
            "or",
        }
    )
    name = labels[-3] if two_part_suffix else labels[-2]
    words = [w for w in name.split("-") if w]
    return " ".join(w.capitalize() for w in words) or None
