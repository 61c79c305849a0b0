"""Validation of the qualification form: every answer goes through scoring.answers, is stored
at once (so a visitor who leaves halfway is still a lead), and is re-asked at most twice."""

from __future__ import annotations

import logging
from datetime import date
from typing import Any

from rasa_sdk import FormValidationAction, Tracker
from rasa_sdk.events import SlotSet
from rasa_sdk.executor import CollectingDispatcher
from sqlalchemy.exc import SQLAlchemyError

from handoff import ROUTING_SLOTS, read_routing_answer, upcoming_meeting
from leaddb import utcnow
from scoring.answers import (
    FORM_SLOTS,
    UNKNOWN,
    Answer,
    company_guess_from_email,
    company_in_passing,
    normalise_answer,
    off_topic_answer,
    remove_spans,
    timeline_in_passing,
)
from scoring.bant import parse_authority
from scoring.in_form import (
    ANSWER_FIRST_INTENTS,
    answer_to_another_question,
    asked_too_often,
    is_command,
    is_request_to_assistant,
    reads_as_answer,
    says_more_than_its_intent,
    states_a_need,
    status_after_asks,
)

from .booking import visitor_timezone
from .services import faq, in_thread, industries, lead_store, qualification_rules, routing_questions_for, visitor_plan

logger = logging.getLogger(__name__)

# The reply to a message that interrupted the question; the form then asks it again.
INTERRUPTION_REPLY = {
    "greet": "utter_greet_back",
    "thank": "utter_youre_welcome",
    "ask_pricing": "utter_pricing_brief",
    "request_demo": "utter_demo_ack",
    "out_of_scope": "utter_out_of_scope",
    "nlu_fallback": "utter_default",
    "support_request": "utter_support_in_form",
    "ask_product": "utter_product_answer",  # with config/faq.yml's answer to the question
}
# Which entity answers which slot: the domain's from_entity mappings (tests/dialogue checks they agree).
SLOT_ENTITY = {
    "timeline": "timeframe",
    "authority": "job_title",
    "budget": "amount",
    "company_size": "headcount",
    "email": "email",
}


_SAME_KIND = {"headcount": "amount", "amount": "headcount"}


def _before_this_message(tracker: Tracker) -> list[dict]:
    """The events before the latest user message (what this turn's own events don't include)."""
    events = tracker.events
    index = len(events)
    while index and events[index - 1].get("event") != "user":
        index -= 1
    return events[: max(index - 1, 0)]


def _previous_value(tracker: Tracker, slot: str) -> Any:
    """The slot's value before this turn: the last value set before the latest user message.

    This turn's own candidates (set by slot extraction and again by the form, after the user
    event) are not a previous value; returning one would keep unread raw text in the slot."""
    for event in reversed(_before_this_message(tracker)):
        if event.get("event") == "slot" and event.get("name") == slot:
            return event.get("value")
    return None


def _answer_text(tracker: Tracker, slot: str, slot_value: Any) -> tuple[str, list[tuple[int, int]]]:
    """The text to read as the answer to `slot`, and the spans that answered other questions.

    The question being asked is answered by the whole message ("within the next month" keeps
    its "within"), less what answered other questions; a slot mentioned in passing by its
    entity alone."""
    if slot_value == UNKNOWN:
        return UNKNOWN, []
    message = tracker.latest_message or {}
    text = message.get("text") or ""
    entities = [e for e in message.get("entities", []) if "start" in e and "end" in e]
    own_entity = SLOT_ENTITY.get(slot)
    if _asked(tracker, slot):
        # A bare number is tagged amount or headcount by the entity rules alike: asked the size,
        # "two hundred" is the size, not another question's answer.
        own_kind = {own_entity, _SAME_KIND.get(own_entity)}
        return text, [(e["start"], e["end"]) for e in entities if e.get("entity") not in own_kind]
    own = [e for e in entities if e.get("entity") == own_entity]
    if own:
        return own[-1].get("value") or text[own[-1]["start"] : own[-1]["end"]], []
    return str(slot_value), []


# A first message that tells us things ("our inbound leads sit for days") opens the form: it is
# read as the answer to the first question, the need, as if the site had asked it.
OPENING_INTENTS = frozenset({"inform", "request_demo", "ask_pricing", "support_request", "greet"})


def _opening_message(tracker: Tracker) -> str | None:
    """The message that opened the form, when it may state the need."""
    if tracker.get_slot("requested_slot") is not None or _previous_value(tracker, "need") is not None:
        return None
    message = tracker.latest_message or {}
    intent = (message.get("intent") or {}).get("name")
    return message.get("text") if intent in OPENING_INTENTS and message.get("text") else None


def _asked(tracker: Tracker, slot: str) -> bool:
    """The visitor's message answers `slot`'s question: it was asked, or it is the need and the
    message opened the form."""
    if tracker.get_slot("requested_slot") == slot:
        return True
    return slot == "need" and tracker.get_slot("requested_slot") is None and _opening_message(tracker) is not None


class ValidateQualificationForm(FormValidationAction):
    def name(self) -> str:
        return "validate_qualification_form"

    async def get_validation_events(self, dispatcher, tracker, domain) -> list:
        candidates = tracker.slots_to_validate()
        message = (tracker.latest_message or {}).get("text") or ""
        if (
            "authority" not in candidates
            and tracker.get_slot("requested_slot") not in (None, "need")
            and tracker.get_slot("authority") != "none"
            and parse_authority(message) == "none"
        ):
            # "Postdoc at a university", "it's for a paper": not a buyer, heard whatever was asked.
            tracker.events.append({"event": "slot", "name": "authority", "value": message, "timestamp": None})
            tracker.slots["authority"] = message
        # A timeline or a company said in passing in a longer message ("CTO at Kestrel Robotics,
        # ... want it live in six weeks") is a candidate too: the entity rules see neither.
        asked = tracker.get_slot("requested_slot")
        in_passing = {
            "timeline": lambda: timeline_in_passing(message, date.today()),
            "company": lambda: company_in_passing(message),
        }
        for slot, find in in_passing.items():
            if slot not in candidates and asked != slot and tracker.get_slot(slot) is None:
                found = find()
                if found:
                    tracker.events.append({"event": "slot", "name": slot, "value": found, "timestamp": None})
                    tracker.slots[slot] = found
        opening = _opening_message(tracker)
        if opening and "need" not in candidates:
            # The need's from_text mapping only fills it once asked: offer the opening message.
            tracker.events.append({"event": "slot", "name": "need", "value": opening, "timestamp": None})
            tracker.slots["need"] = opening
        return await super().get_validation_events(dispatcher, tracker, domain)

    async def required_slots(self, domain_slots, dispatcher, tracker, domain) -> list[str]:
        # A student, job seeker or competitor is not asked for budget and contact details.
        if tracker.get_slot("authority") in qualification_rules().disqualify_authority:
            return []
        if tracker.get_slot("requested_slot") is None and await in_thread(_holds_a_meeting, tracker.sender_id):
            return []  # back after booking: not qualified again (action_qualify says when it is)
        # A dialogue experiment may change the order of the questions or leave budget out.
        plan = await in_thread(visitor_plan, tracker.sender_id)
        slots = [slot for slot in plan.form_slots(domain_slots) if slot not in ROUTING_SLOTS]
        if any(tracker.get_slot(slot) is None for slot in slots):
            return slots
        # Everything asked: a visitor who will be an SQL is asked their country or industry
        # too, when routing needs it and nothing else tells it (handoff.routing_questions).
        answered = frozenset(slot for slot in ROUTING_SLOTS if tracker.get_slot(slot) is not None)
        needed = await in_thread(routing_questions_for, tracker.sender_id, visitor_timezone(tracker), answered)
        return slots + [slot for slot in ROUTING_SLOTS if slot in answered or slot in needed]

    # rasa_sdk calls validate_<slot> for each extracted slot; every one goes through _validate.
    async def validate_need(self, slot_value, dispatcher, tracker, domain) -> dict[str, Any]:
        return await self._validate("need", slot_value, dispatcher, tracker)

    async def validate_timeline(self, slot_value, dispatcher, tracker, domain) -> dict[str, Any]:
        return await self._validate("timeline", slot_value, dispatcher, tracker)

    async def validate_authority(self, slot_value, dispatcher, tracker, domain) -> dict[str, Any]:
        return await self._validate("authority", slot_value, dispatcher, tracker)

    async def validate_budget(self, slot_value, dispatcher, tracker, domain) -> dict[str, Any]:
        return await self._validate("budget", slot_value, dispatcher, tracker)

    async def validate_company(self, slot_value, dispatcher, tracker, domain) -> dict[str, Any]:
        return await self._validate("company", slot_value, dispatcher, tracker)

    async def validate_company_size(self, slot_value, dispatcher, tracker, domain) -> dict[str, Any]:
        return await self._validate("company_size", slot_value, dispatcher, tracker)

    async def validate_person_name(self, slot_value, dispatcher, tracker, domain) -> dict[str, Any]:
        return await self._validate("person_name", slot_value, dispatcher, tracker)

    async def validate_email(self, slot_value, dispatcher, tracker, domain) -> dict[str, Any]:
        return await self._validate("email", slot_value, dispatcher, tracker)

    async def validate_country(self, slot_value, dispatcher, tracker, domain) -> dict[str, Any]:
        return await self._validate("country", slot_value, dispatcher, tracker)

    async def validate_industry(self, slot_value, dispatcher, tracker, domain) -> dict[str, Any]:
        return await self._validate("industry", slot_value, dispatcher, tracker)

    async def _validate(
        self, slot: str, slot_value: Any, dispatcher: CollectingDispatcher, tracker: Tracker
    ) -> dict[str, Any]:
        try:
            return await self._read_and_store(slot, slot_value, dispatcher, tracker)
        except SQLAlchemyError:
            # The lead database stayed away through the store's retries. The slot is left empty
            # (a slot never holds what the database does not); the visitor's words are still in
            # the conversation, and the visitor hears why the question comes again.
            logger.exception("could not store the %s answer of %s", slot, tracker.sender_id)
            if not any(m.get("response") == "utter_answer_not_saved" for m in dispatcher.messages):
                dispatcher.utter_message(response="utter_answer_not_saved")
            return {slot: None}

    async def _read_and_store(
        self, slot: str, slot_value: Any, dispatcher: CollectingDispatcher, tracker: Tracker
    ) -> dict[str, Any]:
        visitor = tracker.sender_id
        if slot_value is not None and slot_value == _previous_value(tracker, slot):
            # Rasa validates the filled slots again when the form starts again ("hello again"
            # after booking): a value held before this message is no new answer.
            return {slot: slot_value}
        requested = _asked(tracker, slot)
        if not requested:
            kept = _passing_mention_ignored(tracker, slot)
            if kept is not _TAKE_IT:
                return {slot: kept}
        text, other_spans = _answer_text(tracker, slot, slot_value)
        answer = _normalised(slot, text, other_spans)
        if (
            requested
            and slot == "need"
            and answer.status == "ok"
            and not states_a_need(remove_spans(text, other_spans))
        ):
            answer = Answer("invalid", problem="answered other questions", other_answers_only=True)
        store = lead_store()
        intent = ((tracker.latest_message or {}).get("intent") or {}).get("name") or "inform"
        if requested and tracker.get_slot("requested_slot") is None:
            # The opening message: the need if it states one, else nothing is asked yet.
            # Unasked, it must say clearly more than its intent ("sup guys" is a greeting).
            opening_need = (
                answer.status == "ok"
                and reads_as_answer(slot, text, intent, True, False)
                and says_more_than_its_intent(text, intent)
            )
            if not opening_need:
                return {slot: None}

        if requested and intent in ANSWER_FIRST_INTENTS and intent != "inform":
            # Answer first: the message counts as the answer unless it clearly is something else.
            # A deliberate skip ("dunno, not my department") answers the question too.
            parsed = answer.status in ("ok", "unknown")
            if intent in ("out_of_scope", "nlu_fallback") and slot in ("person_name", "company"):
                parsed = parsed and _looks_like_a_name(text, answer, slot)
            if not reads_as_answer(slot, text, intent, parsed, _repeated_after_reply(tracker)):
                reply = INTERRUPTION_REPLY.get(intent)
                if intent in ("out_of_scope", "nlu_fallback") and _follows_an_explanation(tracker):
                    # "still not convinced, what happens with it?": a second why, not off-topic.
                    reply = f"utter_why_{slot}"
                elif intent in ("out_of_scope", "nlu_fallback") and not (
                    is_request_to_assistant(text, intent) or is_command(text)
                ):
                    # No question or command ("Dana Whitfield" asked for the email): a wrong
                    # answer, so the hint with an example, not "that's outside what I can do".
                    reply = None
                return await self._ask_again(slot, text, reply, answer.problem, dispatcher, tracker)
            if answer.status == "invalid":  # said twice, still unreadable: keep it, marked uncertain
                return await self._move_on(slot, text, dispatcher, tracker)

        if answer.status in ("ok", "unknown"):
            await in_thread(store.record_answer, visitor, slot, text, answer.fields or None, answer.status)
            result = {slot: answer.slot_value}
            if slot == "email" and answer.status == "ok" and tracker.get_slot("company") in (None, UNKNOWN):
                company = company_guess_from_email(answer.fields)
                if company:
                    await in_thread(
                        store.record_answer,
                        visitor,
                        "company",
                        f"(from {answer.fields['email_domain']})",
                        {"company": company},
                        "ok",
                    )
                    result["company"] = company
            return result

        if requested and answer.other_answers_only:
            # The message answered other questions: those are stored; this one is asked again,
            # and counts as asked, so it is never asked a third time in a row.
            counts = dict(tracker.get_slot("reask_counts") or {})
            counts[slot] = counts.get(slot, 0) + 1
            if asked_too_often(counts[slot]):
                return {**await self._move_on(slot, text, dispatcher, tracker), "reask_counts": counts}
            return {slot: _previous_value(tracker, slot), "reask_counts": counts}
        if not requested:
            # A passing mention we could not read: keep what we had and ask in its turn.
            return {slot: _previous_value(tracker, slot)}
        return await self._ask_again(slot, text, None, answer.problem, dispatcher, tracker)

    async def _ask_again(
        self,
        slot: str,
        text: str,
        reply: str | None,
        problem: str | None,
        dispatcher: CollectingDispatcher,
        tracker: Tracker,
    ) -> dict[str, Any]:
        """Reply (to the interruption, or with an example) and let the form ask again; after
        two asks in a row, keep what the visitor said and move on. A message that plainly
        answers another open question instead is stored as that answer."""
        counts = dict(tracker.get_slot("reask_counts") or {})
        counts[slot] = counts.get(slot, 0) + 1
        other = await self._other_answer(slot, text, tracker)
        if asked_too_often(counts[slot]):
            return {**other, **await self._move_on(slot, text, dispatcher, tracker), "reask_counts": counts}
        if other:
            dispatcher.utter_message(response="utter_noted_other_answer")
            return {**other, slot: None, "reask_counts": counts}
        await in_thread(lead_store().record_answer, tracker.sender_id, slot, text, None, "invalid")
        if reply == "utter_product_answer":
            answer_product_question(text, dispatcher)
        elif reply:
            dispatcher.utter_message(response=reply)
        else:
            dispatcher.utter_message(response=f"utter_hint_{slot}", email_problem=problem)
        return {slot: None, "reask_counts": counts}

    async def _other_answer(self, asked: str, text: str, tracker: Tracker) -> dict[str, Any]:
        """The slot this message answers instead of `asked`, stored, as slot events; or {}."""
        intent = ((tracker.latest_message or {}).get("intent") or {}).get("name") or "inform"
        if is_request_to_assistant(text, intent) or is_command(text):
            return {}
        open_slots = [s for s in FORM_SLOTS if tracker.get_slot(s) in (None, UNKNOWN)]
        found = answer_to_another_question(asked, text, open_slots, date.today())
        if found is None:
            return {}
        slot, answer = found
        await in_thread(lead_store().record_answer, tracker.sender_id, slot, text, answer.fields or None, "ok")
        return {slot: answer.slot_value}

    async def _move_on(
        self, slot: str, text: str, dispatcher: CollectingDispatcher, tracker: Tracker
    ) -> dict[str, Any]:
        # The raw words are kept (uncertain, or skipped when only "thanks"); the slot says
        # unknown, as the database does.
        intent = ((tracker.latest_message or {}).get("intent") or {}).get("name") or "inform"
        status = status_after_asks(text, intent, slot, date.today())
        await in_thread(lead_store().record_answer, tracker.sender_id, slot, text, None, status)
        dispatcher.utter_message(response="utter_moving_on" if status == "skipped" else "utter_noted_as_said")
        return {slot: UNKNOWN}


# Every question the form may ask: the qualification's, then routing's when routing needs it.
ASKED_SLOTS = (*FORM_SLOTS, *ROUTING_SLOTS)


def _normalised(slot: str, text: str, other_spans: list[tuple[int, int]] | None = None) -> Answer:
    if slot in ROUTING_SLOTS:
        return read_routing_answer(slot, remove_spans(text, other_spans or []), industries())
    return normalise_answer(slot, text, date.today(), other_spans or [])


def answer_product_question(text: str, dispatcher: CollectingDispatcher) -> None:
    """config/faq.yml's answer to the question; "could you rephrase?" when no entry knows it
    ("/ask_product" typed as a payload)."""
    entry = faq().match(text)
    if entry is None:
        dispatcher.utter_message(response="utter_default")
    else:
        dispatcher.utter_message(response="utter_product_answer", answer=entry.answer)


def _holds_a_meeting(visitor_id: str) -> bool:
    return upcoming_meeting(lead_store(), visitor_id, utcnow()) is not None


_TAKE_IT = object()


def _answered_when_asked(tracker: Tracker, slot: str) -> bool:
    """The slot's current value was given in answer to its own question (not in passing)."""
    requested, answered = None, False
    for event in _before_this_message(tracker):
        if event.get("event") == "user":
            continue
        if event.get("event") == "slot" and event.get("name") == "requested_slot":
            requested = event.get("value")
        elif event.get("event") == "slot" and event.get("name") == slot and event.get("value") is not None:
            answered = requested == slot
    return answered


def _passing_mention_ignored(tracker: Tracker, slot: str) -> Any:
    """What `slot` keeps when this message mentions it in passing, or _TAKE_IT to read it.

    A passing mention never replaces an answer given to the slot's own question ("two hundred"
    answering the size is not a new budget), nor any earlier answer when the message answers
    the question asked ("about 40k, our cfo signs off" is a budget, not the visitor's role);
    saying they will not buy always counts. And when the whole message is the answer to the
    question asked, a fragment of it fills nothing else."""
    message = (tracker.latest_message or {}).get("text") or ""
    previous = _previous_value(tracker, slot)
    if slot == "authority" and parse_authority(message) == "none":
        return _TAKE_IT
    if previous not in (None, UNKNOWN) and _answered_when_asked(tracker, slot):
        return previous
    asked = tracker.get_slot("requested_slot")
    if asked in FORM_SLOTS and asked != slot:
        whole = normalise_answer(asked, message, date.today())
        own = [
            e for e in (tracker.latest_message or {}).get("entities", []) if e.get("entity") == SLOT_ENTITY.get(slot)
        ]
        covers = sum(e.get("end", 0) - e.get("start", 0) for e in own) >= 0.8 * len(message.strip())
        if whole.status == "ok" and (covers or previous not in (None, UNKNOWN)):
            return previous
    return _TAKE_IT


async def read_answer_instead(
    slot: str, text: str, dispatcher: CollectingDispatcher, tracker: Tracker
) -> list[dict[str, Any]]:
    """Validate and store `text` as the answer to `slot` from an action other than the form.

    Rasa validates a form's slots only when the form runs straight after the visitor's message;
    a rule's action that finds the message is an answer must validate it itself, or the slot
    would keep raw text the lead database never saw."""
    values = await ValidateQualificationForm()._validate(slot, text, dispatcher, tracker)
    return [SlotSet(name, value) for name, value in values.items()]


async def answer_to_the_question(
    dispatcher: CollectingDispatcher, tracker: Tracker, intent: str
) -> list[dict[str, Any]]:
    """Inside the form, a message that a rule would answer as `intent` but that reads as the
    answer to the question asked ("we want to stop losing leads overnight", "Northwind Supply
    Partners"): validated and stored as that answer; its slot events, or [] if it is not one."""
    if tracker.active_loop_name != "qualification_form":
        return []
    slot = tracker.get_slot("requested_slot")
    text = (tracker.latest_message or {}).get("text") or ""
    if slot not in ASKED_SLOTS or not text.strip():
        return []
    parsed = _normalised(slot, text).status == "ok"
    if not reads_as_answer(slot, text, intent, parsed, repeated=False):
        return []
    return await read_answer_instead(slot, text, dispatcher, tracker)


async def explain_and_ask_again(slot: str, dispatcher: CollectingDispatcher, tracker: Tracker) -> list[dict[str, Any]]:
    """ "Why do you need that?": the reason, and the question again; that counts as asking it,
    so a second why moves on instead of asking a third time in a row."""
    text = (tracker.latest_message or {}).get("text") or ""
    values = await ValidateQualificationForm()._ask_again(slot, text, f"utter_why_{slot}", None, dispatcher, tracker)
    return [SlotSet(name, value) for name, value in values.items()]


def _follows_an_explanation(tracker: Tracker) -> bool:
    """The assistant's last action before this message (besides asking again) explained why."""
    for event in reversed(_before_this_message(tracker)):
        if event.get("event") == "user":
            return False
        name = event.get("name") if event.get("event") == "action" else None
        if name and name not in ("action_listen", "qualification_form", "validate_qualification_form"):
            return name == "action_explain_why"
    return False


def _looks_like_a_name(text: str, answer: Any, slot: str) -> bool:
    """Off-topic by the classifier, yet a name: a short phrase that is not a command or question
    ("northpeak analytics", "Sol y Mar Travel"), or a name found inside a sentence ("I work at
    Tailwind Analytics"); not any words at all ("tell me a joke")."""
    if str(answer.slot_value).strip().lower() != text.strip().lower():
        return True
    if off_topic_answer(slot, text, date.today()) is not None:
        return True
    return len(text.split()) <= 5 and not is_request_to_assistant(text, "out_of_scope") and not is_command(text)


def _repeated_after_reply(tracker: Tracker) -> bool:
    """The visitor sent the same words again to the same question, after the assistant replied
    to them as an interruption. Words that answered the question before ("within a month",
    sent twice because the first reply was slow) are no answer to the next question."""
    users = [i for i, e in enumerate(tracker.events) if e.get("event") == "user"]
    if len(users) < 2 or not _same_words(tracker.events[users[-1]].get("text"), tracker.events[users[-2]].get("text")):
        return False
    asked_then = _requested_at(tracker.events[: users[-2]])
    return asked_then == _requested_at(tracker.events[: users[-1]])


def _requested_at(events: list[dict]) -> Any:
    """The question pending after `events`: the last requested_slot set."""
    for event in reversed(events):
        if event.get("event") == "slot" and event.get("name") == "requested_slot":
            return event.get("value")
    return None


def _same_words(a: str | None, b: str | None) -> bool:
    def words(text: str | None) -> list[str]:
        return "".join(c.lower() if c.isalnum() else " " for c in (text or "")).split()

    return bool(words(a)) and words(a) == words(b)
