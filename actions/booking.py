"""After the decision: an SQL is routed to a rep and books a meeting in the chat; everyone
else gets the nurture track that fits. The rules live in src/handoff and config/."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from rasa_sdk import Action, Tracker
from rasa_sdk.events import SlotSet
from rasa_sdk.executor import CollectingDispatcher

from appconfig.settings import load_settings, secret_key
from handoff import (
    Booking,
    LeadFacts,
    MeetingTime,
    Offer,
    TimeTaken,
    UpcomingMeeting,
    asks_to_move,
    book_meeting,
    country_for_timezone,
    current_offer,
    enrol_in_nurture,
    format_meeting_time,
    invite_token_version,
    invite_url,
    latest_assignment,
    may_book,
    offered_rep,
    open_times,
    parse_time_payload,
    pick_by_ordinal,
    read_offer_reply,
    record_offer,
    request_a_person,
    route_lead,
    store_company_facts,
    upcoming_meeting,
    zones_of,
)
from leaddb import utcnow

from .services import free_mail, in_thread, industries, lead_store, notifications, nurture_tracks, roster, visitor_plan


def visitor_timezone(tracker: Tracker) -> str | None:
    """The IANA zone the website sends with the visitor's messages, newest first."""
    for event in reversed(tracker.events):
        if event.get("event") != "user":
            continue
        zone = (event.get("metadata") or {}).get("timezone")
        if isinstance(zone, str):
            try:
                ZoneInfo(zone)
                return zone
            except (ZoneInfoNotFoundError, ValueError):
                continue
    return None


def display_zone(sent: str | None, lead: dict | None) -> str | None:
    """The zone to show times in: the one the website sent, unless it belongs to no country
    ("UTC" from a privacy browser) and the country the visitor named has a single zone; else
    what the lead has stored."""
    lead = lead or {}
    zones = zones_of(lead["country"]) if lead.get("country") else ()
    if sent and (country_for_timezone(sent) or len(zones) != 1):
        return sent
    return zones[0] if len(zones) == 1 else sent or lead.get("timezone")


def transcript(tracker: Tracker) -> list[tuple[str, str]]:
    """Everything said so far, for the rep."""
    lines = []
    for event in tracker.events:
        if event.get("event") in ("user", "bot") and event.get("text"):
            lines.append(("visitor" if event["event"] == "user" else "assistant", event["text"]))
    return lines


def _chosen_start(tracker: Tracker, offer: Offer | None) -> object:
    """The meeting time the visitor picked: a button's payload (anything a client sent), or
    "the second one" typed out, counted in the offer the lead database says was shown last."""
    picked = next(tracker.get_latest_entity_values("slot_start"), None)
    if picked:
        return picked
    return pick_by_ordinal((tracker.latest_message or {}).get("text") or "", offer.payloads if offer else [])


async def held_meeting(tracker: Tracker) -> UpcomingMeeting | None:
    return await in_thread(upcoming_meeting, lead_store(), tracker.sender_id, utcnow())


def tell_booked(dispatcher: CollectingDispatcher, tracker: Tracker, meeting: UpcomingMeeting) -> None:
    """A visitor who already holds a meeting hears when it is, and can move it."""
    rep = roster().reps.get(meeting.rep_id)
    zone = visitor_timezone(tracker) or (rep.timezone if rep else "UTC")
    dispatcher.utter_message(
        # Only a visitor with an address on the lead was emailed the invite and its links.
        response="utter_greet_booked" if meeting.visitor_has_email else "utter_greet_booked_no_email",
        rep_name=rep.name if rep else "our team",
        when=format_meeting_time(MeetingTime(meeting.start, meeting.end), zone),
        buttons=[{"title": "Change the time", "payload": "/more_slots"}],
    )


async def offer_times(
    dispatcher: CollectingDispatcher,
    tracker: Tracker,
    rep_id: str | None = None,
    after_offered: bool = False,
    after: datetime | None = None,
) -> list[dict[str, Any]]:
    """Route the lead if needed, then offer the rep's soonest open times (three, or as many as
    the visitor's experiment variant says; after `after`, or after the current offer with
    `after_offered`) as buttons, and keep them as the offer.
    Only an SQL by the lead database sees times: the `lead_tier` slot is the client's to set."""
    store, now, zone = lead_store(), utcnow(), visitor_timezone(tracker)
    lead = await in_thread(store.get_lead, tracker.sender_id)
    if not may_book(lead):
        dispatcher.utter_message(response="utter_cannot_book_yet")
        return []
    zone = display_zone(zone, lead)
    events: list[dict[str, Any]] = []
    if zone:
        await in_thread(store.set_fields, tracker.sender_id, timezone=zone)
    if rep_id is None:  # the rep routing chose and stored; the assigned_rep slot is the client's
        assignment = await in_thread(latest_assignment, store, tracker.sender_id)
        rep_id = assignment.rep_id if assignment else None
    if rep_id not in roster().reps:
        # Company domain and industry stored on the lead first, so the audit and any re-route see them.
        lead = await in_thread(store_company_facts, store, tracker.sender_id, free_mail(), industries())
        decision = await in_thread(route_lead, roster(), LeadFacts.from_lead(lead, timezone=zone), store, now)
        rep_id = decision.rep_id
        events.append(SlotSet("assigned_rep", rep_id or decision.queue))
        if rep_id is None:
            return events + await _callback(dispatcher, tracker, f"routed to the {decision.queue} queue")

    if after_offered:
        shown = await in_thread(current_offer, store, tracker.sender_id)
        after = shown.starts[-1] if shown and shown.starts else None
    count = (await in_thread(visitor_plan, tracker.sender_id)).offered_times  # 3 unless an experiment says
    times: list[MeetingTime] = await in_thread(open_times, roster(), rep_id, store, now, count, after)
    rep = roster().reps[rep_id]
    if not times and after is not None:
        dispatcher.utter_message(response="utter_no_more_slots", rep_name=rep.name)
        return events
    if not times:
        return events + await _callback(dispatcher, tracker, f"{rep.name} has no open time")

    shown_zone = zone or rep.timezone
    buttons = [
        {
            "title": format_meeting_time(meeting_time, shown_zone),
            "payload": f'/choose_slot{{"slot_start":"{meeting_time.payload}"}}',
        }
        for meeting_time in times
    ]
    buttons.append({"title": "Other times", "payload": "/more_slots"})
    zone_label = "your local time" if zone else f"times in {shown_zone}"
    await in_thread(record_offer, store, tracker.sender_id, rep_id, times, now)
    dispatcher.utter_message(response="utter_offer_slots", rep_name=rep.name, zone_label=zone_label, buttons=buttons)
    return events + [SlotSet("offered_slots", [meeting_time.payload for meeting_time in times])]


async def offer_again(dispatcher: CollectingDispatcher, tracker: Tracker, offer: Offer | None) -> list[dict[str, Any]]:
    """The current offer once more (its times that are still open, topped up with the next
    ones), after a choice that was not understood or not offered; fresh times if none was."""
    if offer is None or not offer.starts:
        return await offer_times(dispatcher, tracker)
    return await offer_times(dispatcher, tracker, offer.rep_id, after=offer.starts[0] - timedelta(microseconds=1))


async def ask_a_person(
    dispatcher: CollectingDispatcher, tracker: Tracker, why: str, response: str, kind: str = "sales"
) -> None:
    """Send the request to the routed rep or a queue, and tell the visitor who answers and when."""
    contact = await in_thread(
        request_a_person,
        lead_store(),
        roster(),
        notifications(),
        tracker.sender_id,
        why,
        transcript(tracker),
        utcnow(),
        kind,
    )
    when = contact.reply_promise(utcnow(), visitor_timezone(tracker))
    dispatcher.utter_message(response=response, who=contact.name, when=when)


async def _callback(dispatcher: CollectingDispatcher, tracker: Tracker, why: str) -> list[dict[str, Any]]:
    """Nobody has time in the whole booking horizon: say so once, and have someone call back."""
    lead = await in_thread(lead_store().get_lead, tracker.sender_id) or {}
    if lead.get("handoff_requested_at"):
        dispatcher.utter_message(response="utter_callback_pending")
        return []
    await ask_a_person(dispatcher, tracker, f"callback requested: {why}", "utter_no_rep_available")
    return []


class ActionOfferMeeting(Action):
    def name(self) -> str:
        return "action_offer_meeting"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict) -> list:
        wants_more = (tracker.latest_message or {}).get("intent", {}).get("name") == "more_slots"
        meeting = await held_meeting(tracker)
        if meeting is not None and not wants_more:
            return []  # already booked, and told so by the greeting or the decision step
        if meeting is not None:  # moving the meeting: times of the same rep, soonest first
            return await offer_times(dispatcher, tracker, meeting.rep_id)
        return await offer_times(dispatcher, tracker, after_offered=wants_more)


class ActionBookMeeting(Action):
    def name(self) -> str:
        return "action_book_meeting"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict) -> list:
        # Eligibility, the time and its rep come from the lead database, never from slots a
        # client could set: an SQL books only a time offered to them in this conversation.
        store, now, zone = lead_store(), utcnow(), visitor_timezone(tracker)
        lead = await in_thread(store.get_lead, tracker.sender_id)
        if not may_book(lead):
            dispatcher.utter_message(response="utter_cannot_book_yet")
            return []
        zone = display_zone(zone, lead)
        meeting = await held_meeting(tracker)
        offer = await in_thread(current_offer, store, tracker.sender_id)
        try:
            start = parse_time_payload(_chosen_start(tracker, offer))
        except ValueError:
            dispatcher.utter_message(response="utter_slot_not_understood")
            return await offer_again(dispatcher, tracker, offer)
        rep_id = await in_thread(offered_rep, store, tracker.sender_id, start)
        if rep_id is None or rep_id not in roster().reps:
            dispatcher.utter_message(response="utter_slot_not_offered")
            return await offer_again(dispatcher, tracker, offer)

        result = await in_thread(
            book_meeting,
            store,
            rep_id,
            tracker.sender_id,
            start,
            roster(),
            now,
            notifications(),
            transcript(tracker),
            replaces=meeting.meeting_id if meeting else None,
        )
        if isinstance(result, Booking):
            rep = roster().reps[rep_id]
            shown_zone = zone or rep.timezone
            settings = load_settings()
            version = await in_thread(invite_token_version, store, result.meeting_id)
            dispatcher.utter_message(
                response="utter_meeting_booked",
                rep_name=rep.name,
                when=format_meeting_time(MeetingTime(result.start, result.end), shown_zone),
                invite_url=invite_url(settings.public_base_url, secret_key(settings), result.meeting_id, version or 0),
            )
            local_start = result.start.astimezone(ZoneInfo(shown_zone)).isoformat()
            return [SlotSet("meeting_start", local_start), SlotSet("assigned_rep", rep_id)]
        taken = isinstance(result, TimeTaken)
        dispatcher.utter_message(response="utter_slot_taken" if taken else "utter_slot_not_offered")
        return await offer_times(dispatcher, tracker, rep_id)


class ActionRequestCallback(Action):
    """None of the offered times suit the visitor: the rep will propose one."""

    def name(self) -> str:
        return "action_request_callback"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict) -> list:
        why = "callback requested: none of the offered times suit the visitor"
        await ask_a_person(dispatcher, tracker, why, "utter_callback_noted")
        return []


class ActionEnrolNurture(Action):
    """MQL and unqualified visitors: the fitting track, its content offered in the chat."""

    def name(self) -> str:
        return "action_enrol_nurture"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict) -> list:
        store = lead_store()
        lead = await in_thread(store.get_lead, tracker.sender_id) or {"visitor_id": tracker.sender_id}
        facts = LeadFacts.from_lead(lead, timezone=visitor_timezone(tracker))
        track = await in_thread(enrol_in_nurture, store, nurture_tracks(), facts, notifications())
        links = "\n".join(f"- {offer.title}: {offer.url}" for offer in track.content)
        tier = lead.get("tier") or tracker.get_slot("lead_tier")
        response = "utter_tier_unqualified" if track.closed or tier == "unqualified" else "utter_tier_mql"
        if _already_said(tracker, response):
            # A later message re-ran the same decision: the links are above, not again.
            dispatcher.utter_message(response="utter_nurture_noted")
            return []
        dispatcher.utter_message(response=response, content_links=links)
        return []


def _already_said(tracker: Tracker, response: str) -> bool:
    """The assistant said `response` earlier in this conversation (Rasa keeps its name on the bot event)."""
    return any(
        e.get("event") == "bot" and (e.get("metadata") or {}).get("utter_action") == response for e in tracker.events
    )


class ActionUnclearMessage(Action):
    """A message NLU could not place, or off-topic, outside the qualification. Right after the
    meeting times, it is most likely about them ("none of these times work for me", "any
    later slots?", "the 2nd"): read as a reply to the offer; otherwise the plain reply."""

    def name(self) -> str:
        return "action_unclear_message"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict) -> list:
        message = tracker.latest_message or {}
        text = message.get("text") or ""
        offer = await _open_offer(tracker)
        if offer is not None:
            reply = read_offer_reply(text, offer.payloads)
            if reply.kind == "choice":
                return await ActionBookMeeting().run(dispatcher, tracker, domain)
            if reply.kind == "more":
                return await offer_times(dispatcher, tracker, after_offered=True)
            if reply.kind == "decline":
                return await ActionRequestCallback().run(dispatcher, tracker, domain)
        elif asks_to_move(text):
            meeting = await held_meeting(tracker)
            if meeting is not None:  # back after booking, in words NLU could not place
                return await offer_to_move(dispatcher, tracker, meeting)
        intent = (message.get("intent") or {}).get("name")
        dispatcher.utter_message(response="utter_out_of_scope" if intent == "out_of_scope" else "utter_default")
        return []


async def offer_to_move(dispatcher: CollectingDispatcher, tracker: Tracker, meeting: UpcomingMeeting) -> list:
    """A visitor who holds a meeting asks for another time: the same rep's other times."""
    return [*await offer_times(dispatcher, tracker, meeting.rep_id), SlotSet("lead_tier", "sql")]


async def _open_offer(tracker: Tracker) -> Offer | None:
    """The times last shown to an SQL who has not booked yet, or None."""
    store = lead_store()
    lead = await in_thread(store.get_lead, tracker.sender_id)
    if not may_book(lead) or await held_meeting(tracker) is not None:
        return None
    return await in_thread(current_offer, store, tracker.sender_id)
