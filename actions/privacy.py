"""A visitor asking for a copy of their data, or for its erasure: a link goes to their email
address (handoff.data_requests) and nothing about them is shown in the chat. The reply is the
same whether or not anything is stored about the address."""

from __future__ import annotations

from rasa_sdk import Action, Tracker
from rasa_sdk.events import FollowupAction, SlotSet
from rasa_sdk.executor import CollectingDispatcher

from appconfig.settings import load_settings
from handoff.data_requests import request_data
from leaddb import utcnow
from scoring.contact import explain_invalid_email, parse_work_email
from webapp.privacy import privacy_for

from .form import answer_to_the_question
from .services import in_thread, lead_store

KIND_OF_INTENT = {"request_data_export": "export", "request_data_erasure": "erase"}


class ActionRequestData(Action):
    """Send the link to the address typed in the message, else to the lead's address; with
    neither, ask for one (`data_request_email_asked`, and the rule brings the answer back here)."""

    def name(self) -> str:
        return "action_request_data"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict) -> list:
        message = tracker.latest_message or {}
        intent = (message.get("intent") or {}).get("name")
        if intent in KIND_OF_INTENT:
            # Asked for the need, "get rid of manual data entry" is the need, not an erasure.
            answer = await answer_to_the_question(dispatcher, tracker, intent)
            if answer:
                return [*answer, FollowupAction("qualification_form")]
        kind = KIND_OF_INTENT.get(intent) or tracker.get_slot("data_request")
        done = [SlotSet("data_request", None), SlotSet("data_request_email_asked", False)]
        if kind not in ("export", "erase"):
            dispatcher.utter_message(response="utter_default")
            return done
        text = message.get("text") or ""
        typed = parse_work_email(text)
        email = typed.address if typed else await in_thread(self._lead_email, tracker.sender_id)
        if email is None:
            if intent in KIND_OF_INTENT:
                dispatcher.utter_message(response="utter_ask_data_request_email")
            else:  # the answer to that question held no address
                dispatcher.utter_message(
                    response="utter_hint_data_request_email", email_problem=explain_invalid_email(text)
                )
            return [SlotSet("data_request", kind), SlotSet("data_request_email_asked", True)]
        settings = load_settings()
        hours = privacy_for(settings.config_dir).data_request_link_hours
        # Sent or not (the address had its day's links already), the visitor hears the same.
        await in_thread(request_data, lead_store(), kind, email, settings.public_base_url, hours, utcnow())
        dispatcher.utter_message(response=f"utter_data_{kind}_link_sent", hours=hours)
        return done

    @staticmethod
    def _lead_email(visitor_id: str) -> str | None:
        lead = lead_store().get_lead(visitor_id)
        return (lead or {}).get("email") or None
