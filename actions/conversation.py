"""Actions around the form: the opening, interruptions, stopping, and the decision."""

from __future__ import annotations

from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.events import FollowupAction, SlotSet
from rasa_sdk.executor import CollectingDispatcher

from handoff import asks_to_move
from scoring.answers import UNKNOWN
from scoring.in_form import uncertain_answer_reasons
from scoring.opening import opening_topic

from .booking import ask_a_person, held_meeting, offer_to_move, tell_booked
from .form import ASKED_SLOTS, answer_product_question, answer_to_the_question, explain_and_ask_again
from .services import in_thread, lead_store, tier_decision, visitor_behaviour, visitor_plan


def _known(tracker: Tracker, slot: str) -> Any:
    value = tracker.get_slot(slot)
    return None if value in (None, UNKNOWN) else value


class ActionGreet(Action):
    def name(self) -> str:
        return "action_greet"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict) -> list:
        """Greet for what the visitor already did: a third look at pricing is not a stranger."""
        await in_thread(lead_store().ensure_lead, tracker.sender_id)
        meeting = await held_meeting(tracker)
        if meeting is not None:
            tell_booked(dispatcher, tracker, meeting)
            return []
        behaviour = await in_thread(visitor_behaviour, tracker.sender_id)
        topic = opening_topic(behaviour.summary)
        titles = behaviour.summary.downloaded_titles
        # An experiment may change only the greeting of a visitor the site knows nothing about.
        opening = (await in_thread(visitor_plan, tracker.sender_id)).opening if topic == "new" else None
        dispatcher.utter_message(
            response=opening or f"utter_greet_{topic}",
            download_title=titles[-1] if titles else "our guide",
        )
        return []


class ActionAcknowledgeRequest(Action):
    """A demo or call request opens the qualification with a short yes; a visitor who holds a
    meeting already is not told "a few quick questions first" (action_qualify answers them)."""

    def name(self) -> str:
        return "action_acknowledge_request"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict) -> list:
        if await held_meeting(tracker) is None:
            dispatcher.utter_message(response="utter_demo_ack")
        return []


class ActionAnswerProductQuestion(Action):
    """ "Do you integrate with Pipedrive?": config/faq.yml's answer; the qualification opens
    (or goes on) after it, as after a pricing question."""

    def name(self) -> str:
        return "action_answer_product_question"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict) -> list:
        answer_product_question((tracker.latest_message or {}).get("text") or "", dispatcher)
        return []


class ActionExplainWhy(Action):
    """Why this particular question is asked; the form then asks it again."""

    def name(self) -> str:
        return "action_explain_why"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict) -> list:
        answer = await answer_to_the_question(dispatcher, tracker, "ask_why")
        if answer:
            return answer  # the form runs next (the rule says so) and stores it
        slot = tracker.get_slot("requested_slot")
        if slot in ASKED_SLOTS and tracker.active_loop_name == "qualification_form":
            return await explain_and_ask_again(slot, dispatcher, tracker)
        dispatcher.utter_message(response=f"utter_why_{slot}" if slot in ASKED_SLOTS else "utter_why_general")
        return []


class ActionAnswerBotQuestion(Action):
    """ "Are you a bot?": yes, said plainly; unless the message answers the question asked
    ("can your bot tell our sdrs which visitors are worth a call?" is a need)."""

    def name(self) -> str:
        return "action_answer_bot_question"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict) -> list:
        answer = await answer_to_the_question(dispatcher, tracker, "bot_challenge")
        if answer:
            return answer
        dispatcher.utter_message(response="utter_iamabot")
        return []


class ActionRequestHuman(Action):
    def name(self) -> str:
        return "action_request_human"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict) -> list:
        answer = await answer_to_the_question(dispatcher, tracker, "human_handoff")
        if answer:
            return answer
        text = (tracker.latest_message or {}).get("text") or ""
        in_form = tracker.active_loop_name == "qualification_form"
        response = "utter_handoff_noted" if in_form else "utter_handoff_noted_done"
        await ask_a_person(dispatcher, tracker, f"asked for a person: {text}", response)
        return []


class ActionStopQualifying(Action):
    """The visitor wants to stop: say goodbye and keep everything they said."""

    def name(self) -> str:
        return "action_stop_qualifying"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict) -> list:
        intent = ((tracker.latest_message or {}).get("intent") or {}).get("name") or "stop"
        answer = await answer_to_the_question(dispatcher, tracker, intent)
        if answer:
            # Not a stop at all: the form goes on instead of the rule's deactivation.
            return [*answer, FollowupAction("qualification_form")]
        text = (tracker.latest_message or {}).get("text")
        await in_thread(lead_store().record_stop, tracker.sender_id, text)
        dispatcher.utter_message(response="utter_stop_ack")
        return [SlotSet("requested_slot", None)]


class ActionQualify(Action):
    """Decide sql / mql / unqualified from what is stored about the lead, and say what's next."""

    def name(self) -> str:
        return "action_qualify"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict) -> list:
        store = lead_store()
        visitor = tracker.sender_id
        meeting = await held_meeting(tracker)
        if meeting is not None:
            # A visitor back after booking is not qualified again: one who asks to move it gets
            # the rep's other times; otherwise they hear when it is (the greeting said so already).
            message = tracker.latest_message or {}
            if asks_to_move(message.get("text") or ""):
                return await offer_to_move(dispatcher, tracker, meeting)
            if (message.get("intent") or {}).get("name") != "greet":
                tell_booked(dispatcher, tracker, meeting)
            return [SlotSet("lead_tier", "sql")]
        decision = await in_thread(tier_decision, visitor)
        reasons = [*decision.reasons, *uncertain_answer_reasons(await in_thread(store.answers, visitor))]
        await in_thread(
            store.record_decision, visitor, decision.tier, decision.score, reasons, decision.parts_as_dicts()
        )

        # What follows (booking or nurture) is the next action's; an SQL hears why first.
        if decision.tier == "sql":
            name = _known(tracker, "person_name")
            dispatcher.utter_message(response="utter_tier_sql", person_name=(name or "").split(" ")[0] or "there")
        return [SlotSet("lead_tier", decision.tier)]


class ActionSupportRequest(Action):
    """An existing customer: the support link, and a handoff if they want one; no questions."""

    def name(self) -> str:
        return "action_support_request"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict) -> list:
        dispatcher.utter_message(response="utter_support")
        return [SlotSet("requested_slot", None)]


class ActionSupportHandoff(Action):
    def name(self) -> str:
        return "action_support_handoff"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict) -> list:
        request = _latest_support_message(tracker)
        await ask_a_person(dispatcher, tracker, f"support: {request}", "utter_support_handoff", kind="support")
        return []


def _latest_support_message(tracker: Tracker) -> str:
    for event in reversed(tracker.events):
        if event.get("event") == "user" and (event.get("parse_data") or {}).get("intent", {}).get("name") == (
            "support_request"
        ):
            return event.get("text") or ""
    return (tracker.latest_message or {}).get("text") or ""
