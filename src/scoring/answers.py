"""One visitor answer → what the dialogue keeps and what the lead database stores.

`normalise_answer(slot, text, today)` is what the assistant's form validators call for every
answer. It decides whether the answer was understood (`ok`), deliberately skipped
(`unknown`), or needs asking again (`invalid`, with the problem in words).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from spacy.lang.en.stop_words import STOP_WORDS

from . import bant, contact
from .slots import FORM_SLOTS as FORM_SLOTS  # re-exported: the form slots are part of this module's interface

UNKNOWN = "unknown"
MAX_TEXT = 2000  # longer answers are cut: nobody types an essay into a chat box on purpose


# "Not sure yet" typed as an answer: the question is skipped (unknown), not asked again.
_DONT_KNOW = re.compile(
    r"\b(not sure|unsure|no idea|no clue|don'?t know|do not know|dunno|idk|tbd|to be (decided|determined)|"
    r"not (decided|discussed|settled)|have ?n'?t (decided|talked|discussed|settled|figured|thought)|"
    r"rather not (say|share)|prefer not to (say|share)|can'?t say)\b",
    re.IGNORECASE,
)

# Words that carry no answer on their own: English stop words plus chat filler.
_FILLER = STOP_WORDS | {
    "yes",
    "yeah",
    "yep",
    "nope",
    "okay",
    "hello",
    "hey",
    "sure",
    "thanks",
    "thank",
    "maybe",
    "stuff",
    "things",
    "idk",
    "dunno",
    "hmm",
    "hmmm",
    "lol",
    "want",
    "need",
    "needs",
    "needed",
    "like",
    "just",
    "looking",
}


@dataclass(frozen=True)
class Answer:
    status: str  # ok | unknown | invalid
    slot_value: Any = None  # what the dialogue keeps in the slot; None re-asks the question
    fields: dict = field(default_factory=dict)  # lead columns to store
    problem: str = ""  # why an invalid answer was not understood
    other_answers_only: bool = False  # the text answered other questions, not this one


def remove_spans(text: str, spans: Iterable[tuple[int, int]]) -> str:
    """The text without the parts that answered other questions (entity spans)."""
    kept, position = [], 0
    for start, end in sorted(spans):
        if start >= position:
            kept.append(text[position:start])
            position = end
    kept.append(text[position:])
    return re.sub(r"\s+", " ", " ".join(kept)).strip(" ,.;-")


def content_words(text: str) -> list[str]:
    """The words that say something: three letters or more, neither stop words nor chat filler."""
    return [w for w in re.findall(r"[^\W\d_]{3,}", text.lower()) if w not in _FILLER]


def _need(text: str, today: date) -> Answer:
    # One word ("Joy", "software") could be a name, a greeting or a topic: too little to act on.
    if len(content_words(text)) < 2:
        return Answer("invalid", problem="too short to tell what you need")
    need = text.strip()[:MAX_TEXT]
    return Answer("ok", need, {"need": need})


def _timeline(text: str, today: date) -> Answer:
    timeline = bant.read_timeline(text, today)
    if timeline is None:
        return Answer("invalid", problem="no timeframe found")
    # "Just researching" answers the question too: there is no date, and that is an answer.
    open_ended = timeline.days is None
    fields = {
        "timeline_days": timeline.days,
        "timeline_earliest_days": timeline.earliest_days,
        "timeline_latest_days": timeline.latest_days,
        "timeline_open_ended": open_ended,
    }
    return Answer("ok", "open-ended" if open_ended else timeline.days, fields)


def _one_column(column: str, parse: Callable[[str], Any], problem: str) -> Callable[[str, date], Answer]:
    """The normaliser of an answer stored as parsed in one lead column; `parse` returns None
    when the text holds no answer, and the question is asked again saying `problem`."""

    def normalise(text: str, today: date) -> Answer:
        value = parse(text)
        if value is None:
            return Answer("invalid", problem=problem)
        return Answer("ok", value, {column: value})

    return normalise


def _authority_level(text: str) -> str | None:
    level = bant.parse_authority(text)
    return None if level == UNKNOWN else level


def _budget(text: str, today: date) -> Answer:
    budget = bant.parse_budget(text)
    if budget is None:
        return Answer("invalid", problem="no amount found")
    per = f"/{budget.period}" if budget.period else ""
    fields = {
        "budget_amount": budget.amount,
        "budget_currency": budget.currency,
        "budget_period": budget.period,
        "budget_status": budget.status,
    }
    return Answer("ok", f"{budget.amount:g} {budget.currency}{per}", fields)


def _email(text: str, today: date) -> Answer:
    address = contact.parse_work_email(text)
    if address is None:
        return Answer("invalid", problem=contact.explain_invalid_email(text))
    fields = {"email": address.address, "email_domain": address.domain, "email_is_free_mail": address.is_free_mail}
    return Answer("ok", address.address, fields)


_NORMALISERS: dict[str, Callable[[str, date], Answer]] = {
    "need": _need,
    "timeline": _timeline,
    "authority": _one_column("authority", _authority_level, "no role found"),
    "budget": _budget,
    "company": _one_column("company", contact.parse_company_name, "no company name found"),
    "company_size": _one_column("company_size", bant.parse_company_size, "no number found"),
    "person_name": _one_column("person_name", contact.parse_person_name, "no name found"),
    "email": _email,
}
# Slots answered in free text: what is left after removing other answers must say something.
_FREE_TEXT_SLOTS = {"need", "company", "person_name"}


def normalise_answer(
    slot: str,
    text: str | None,
    today: date,
    other_spans: Iterable[tuple[int, int]] = (),
) -> Answer:
    """Normalise `text` as the answer to `slot`. `other_spans` are character ranges of the
    same message that were recognised as answers to other questions."""
    if slot not in _NORMALISERS:
        raise ValueError(f"not a form slot: {slot!r}")
    if text == UNKNOWN:
        return Answer("unknown", UNKNOWN)
    text = (text or "").strip()[:MAX_TEXT]
    remainder = remove_spans(text, other_spans)
    if remainder != text:
        answered_others = not content_words(remainder) if slot in _FREE_TEXT_SLOTS else not remainder
        if answered_others:
            return Answer("invalid", problem="answered other questions", other_answers_only=True)
        # A free-text answer keeps only its own words. A structured one is read whole: its
        # parser finds its own phrase, and the rest qualifies it ("40k but still waiting on
        # the cfo" is pending although "cfo" answered the role).
        if slot in ("company", "person_name"):
            text = remainder  # the name is what is left; a need is kept whole, as the rep reads it
    if not text:
        return Answer("invalid", problem="empty answer")
    answer = _NORMALISERS[slot](text, today)
    if answer.status == "invalid" and _DONT_KNOW.search(text):
        return Answer("unknown", UNKNOWN)
    return answer


# A timeline mentioned in a sentence about something else is read only after a word that ties
# it to the purchase ("want it live within a month", "starting in three weeks"): "a month by
# hand" or "an hour a day" inside a need are not timelines.
_TIMELINE_ANCHOR = re.compile(
    r"\b(?:live|start(?:ing|s)?|launch(?:ing)?|ready|in\s+place|roll(?:ing)?\s+(?:it\s+)?out|deploy(?:ed|ing)?"
    r"|up\s+and\s+running|timeline|deadline|decide|deciding|buy(?:ing)?|sign(?:ing)?)\b",
    re.IGNORECASE,
)


def timeline_in_passing(text: str, today: date) -> str | None:
    """The clause of a longer message that states the timeline ("want it live in six weeks"),
    or None. Read only after an anchor word, up to the end of that clause."""
    for anchor in _TIMELINE_ANCHOR.finditer(text or ""):
        clause = re.split(r"[,.;!?]| and | but ", text[anchor.start() :], maxsplit=1)[0]
        timeline = bant.read_timeline(clause, today)
        if timeline is not None and timeline.days is not None:
            return clause.strip()
    return None


# "I'm the CTO at Kestrel Robotics", "im priya from fernwood analytics": the company, said in
# passing by someone introducing themselves.
_WORKPLACE_IN_PASSING = re.compile(
    r"\b(?:i'?m|im|i\s+am|i\s+work|i\s+run|i\s+lead)\b(?:\s+(?![\w-]*ing\b|for\b|with\b)[\w-]+){0,4}?"
    r"\s+(?:at|from|with)\s+"
    r"(?!(?:a|an|the|my|our|your|this|that|some|home|work)\b)([^\W\d_][\w&'.-]*(?:\s+[^\W\d_][\w&'.-]*){0,3})",
    re.IGNORECASE,
)


def company_in_passing(text: str) -> str | None:
    """The company named by a visitor introducing themselves, or None."""
    match = _WORKPLACE_IN_PASSING.search(text or "")
    if not match:
        return None
    name = re.split(r"\s+(?:and|but|so|we|i|im|i'm|about|with|in)\b", match.group(1), maxsplit=1, flags=re.IGNORECASE)[
        0
    ]
    return contact.parse_company_name(name)


def says_dont_know(text: str) -> bool:
    """ "No idea", "not sure yet", "rather not say": a deliberate skip of the question."""
    return bool(_DONT_KNOW.search(text))


def company_guess_from_email(address_fields: dict) -> str | None:
    """A company name from a work email's domain, so the visitor need not type it."""
    if address_fields.get("email_is_free_mail") or not address_fields.get("email_domain"):
        return None
    return contact.company_from_email_domain(address_fields["email_domain"])


# One word of a name as typed: capitalised, a digit, or a joining word ("Stop & Go Logistics",
# "Sol y Mar Travel", "Bank of the West", "C++ Partners"). Questions answered with a proper noun
# the intent classifier has never seen ("Dana Whitfield") can be taken for off-topic messages.
PROPER_NOUN_WORD = re.compile(r"^(?:[A-Z0-9][\w&.'+-]*|&|of|and|the|de|van|von|da|der|y)$")


def off_topic_answer(slot: str | None, text: str, today: date) -> Answer | None:
    """The answer to the question being asked, when a message classified as off-topic is in
    fact a name or a company; None when it really is off-topic."""
    if slot not in ("person_name", "company"):
        return None
    words = (text or "").strip().split()
    if slot == "company" and not (0 < len(words) <= 5 and all(PROPER_NOUN_WORD.match(w) for w in words)):
        return None
    answer = normalise_answer(slot, text, today)
    return answer if answer.status == "ok" else None
