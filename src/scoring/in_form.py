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

# Intents whose message is tried as the answer first. The others (asking why, whether this is a
# bot, to stop, goodbye) are requests the dialogue rules answer. A request for a person goes to
# its rule too, whose action asks here first ("Northwind Supply Partners" is a company).
ANSWER_FIRST_INTENTS = frozenset(
    {"inform", "greet", "thank", "affirm", "deny", "ask_pricing", "request_demo", "out_of_scope", "nlu_fallback"}
    | {"choose_slot", "more_slots", "human_handoff", "support_request"}
)
# Free-text slots accept nearly any words: an off-topic command must not become the need.
FREE_TEXT_SLOTS = frozenset({"need"})
MAX_ASKS_IN_A_ROW = 2

_QUESTION = re.compile(
    r"\?\s*$|^\s*(how|what|why|when|where|who|which|can|could|would|will|do|does|did|is|are|should|may|shall"
    r"|whats|hows|wheres|whos|what's|how's|where's|who's)\b",
    re.IGNORECASE,
)
# Everyday requests to an assistant start with a command ("tell me a joke", "set a timer");
# a need is a statement or a noun phrase ("a forecast view for the finance team").
_COMMAND = re.compile(
    r"^\W*(please\s+)?(tell|give|show|play|set|translate|write|find|search|open|turn|remind|explain|calculate"
    r"|convert|recommend|make|send|order|call|text|email|read|list|define|spell|sing|check)\b",
    re.IGNORECASE,
)
# What each intent looks like when the visitor really means it.
_MEANS_IT = {
    "ask_pricing": r"\b(price|prices|pricing|cost|costs|how much|quote|per (user|seat|month))\b",
    "request_demo": r"\b(demo|call me|a call|meeting|talk to|speak (to|with)|book|schedule|show me|walk ?through)\b",
    "greet": r"^\W*(hi|hello|hey|hiya|howdy|yo|good (morning|afternoon|evening))\b(\W+(there|again|all|team))?\W*$",
    "thank": r"^\W*(thanks|thank you|thx|ty|cheers|much appreciated)\b(\W+(a lot|so much|very much))?\W*$",
    "affirm": r"^\W*(yes|yeah|yep|yup|sure|ok|okay|right|correct|sounds good|absolutely)\W*$",
    "deny": r"^\W*(no|nope|nah|not really|no thanks)\W*$",
    "support_request": r"\b(log ?in|sign ?in|password|invoice|billing|charged|refund|bug|error|broken|crash\w*"
    r"|not working|stopped working|ticket|already (use|using)|existing customer|our account|cancel)\b",
    "human_handoff": r"\b(human|person|someone|somebody|agent|rep|representative|talk|speak|call|contact|real)\b",
}
_MEANS_IT_RE = {intent: re.compile(pattern, re.IGNORECASE) for intent, pattern in _MEANS_IT.items()}


# "can you help us book more demos from our traffic?" is a question that states a need.
_ABOUT_THEIR_BUSINESS = re.compile(r"\b(we|us|our|ours|my team|my company)\b", re.IGNORECASE)


def is_request_to_assistant(text: str, intent: str, slot: str | None = None) -> bool:
    """A question, or the message is plainly what its intent says ("book a demo", "hi there").
    Asked for the need, a question about their own business is the need itself."""
    pattern = _MEANS_IT_RE.get(intent)
    if intent == "support_request" and pattern and pattern.search(text):
        return True  # "i can't log in to our account": a customer's problem, not their need
    if slot in FREE_TEXT_SLOTS and _ABOUT_THEIR_BUSINESS.search(text):
        return False
    return bool(_QUESTION.search(text)) or bool(pattern and pattern.search(text))


def reads_as_answer(slot: str, text: str, intent: str, parsed: bool, repeated: bool) -> bool:
    """Whether the message answers `slot` rather than interrupting.

    `parsed`: the slot's normaliser understood the text; `repeated`: the visitor sent the same
    message again after the assistant's reply to it, which means "that *was* my answer"."""
    if intent not in ANSWER_FIRST_INTENTS:
        return False
    if repeated and text.strip():
        return True
    if not parsed or is_request_to_assistant(text, intent, slot):
        return False
    # Off-topic words parse as a need too: there, a command to an assistant is not taken.
    return not (intent in ("out_of_scope", "nlu_fallback") and slot in FREE_TEXT_SLOTS and is_command(text))


def is_command(text: str) -> bool:
    """An everyday command to an assistant ("tell me a joke", "set a timer")."""
    return bool(_COMMAND.search(text))


def asked_too_often(asks_so_far: int) -> bool:
    """After this many unanswered asks in a row, record what the visitor said and move on."""
    return asks_so_far >= MAX_ASKS_IN_A_ROW


def uncertain_answer_reasons(answers: list[dict]) -> list[str]:
    """Reasons that name the answers kept after two asks without being understood, so the rep
    knows which facts the decision could not use ("budget: 'heaps' (not understood)")."""
    latest: dict[str, dict] = {}
    for answer in answers:  # oldest first: a later answer to the same question wins
        latest[answer["slot"]] = answer
    return [
        f"{slot.replace('_', ' ')}: {answer['raw_text']!r} (not understood, asked twice)"
        for slot, answer in latest.items()
        if answer["status"] == "uncertain" and answer.get("raw_text")
    ]
