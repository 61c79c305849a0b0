"""What happens after qualification: routing, booking, rep notification, nurture, delivery.

No Rasa here; the actions and the web app call these functions. `db` is a `leaddb.LeadStore`,
`now` an aware datetime (pass `leaddb.utcnow()`), and every time returned is aware UTC.

Configuration (validated on load; errors name the file, key and problem):
    roster = load_roster("config/roster.yml")      # reps, hours, territories, rules, fallback
    tracks = load_nurture("config/nurture.yml")    # nurture tracks and the rules choosing them
    notifications = Notifications.from_env()       # PUBLIC_BASE_URL, SLACK/CRM/MARKETING_WEBHOOK_URL
    free_mail = load_free_mail("config/free_mail.yml")       # free-mail and ISP domains
    industries = load_industries("config/industries.yml")   # company domain / suffix -> industry

An SQL, in the chat:
    lead = store_company_facts(db, visitor_id, free_mail, industries)   # company_domain, industry stored
    routing_questions(roster, LeadFacts.from_lead(lead), answered)   # ("country",), ("industry",) or ():
        # what to ask first, only when the answer could change who gets the lead
    answer = read_routing_answer("industry", "we're a bank", industries)   # a scoring.answers.Answer
    facts = LeadFacts.from_lead(lead, country="DE")      # country optional
    decision = route_lead(roster, facts, db, now)        # -> RoutingDecision(rep_id, rule, reasons, queue)
        # rep_id is None when the lead went to the fallback queue: record a callback request
    times = open_times(roster, decision.rep_id, db, now) # three soonest -> [MeetingTime(start, end)]
    more = open_times(roster, rep_id, db, now, after=times[-1].start)     # "other times"
    label = format_meeting_time(times[0], visitor_timezone)   # "Tue 10 Mar 2026, 15:00–15:30 CET"
    record_offer(db, visitor_id, rep_id, times, now)     # the times shown, kept: the only ones the chat books
    start = parse_time_payload(button_payload)           # MeetingTime.payload round-trips; ValueError if bad
    rep_id = offered_rep(db, visitor_id, start)          # None: never offered to this visitor, refuse
    offer = current_offer(db, visitor_id)                # Offer(rep_id, starts, batch): the newest shown
    may_book(store.get_lead(visitor_id))                 # only an SQL by its stored decision sees times or books
    result = book_meeting(db, rep_id, visitor_id, start, roster, now, notifications, transcript)
        # -> Booking | TimeTaken (offer fresh times) | TimeNotOffered (payload never offered)
    invite = invite_for(db, roster, booking.meeting_id, "PUBLISH")   # ICS for the visitor to download
    link = invite_url(base_url, secret, booking.meeting_id, invite_token_version(db, booking.meeting_id))
        # signed link to it; check_invite_token. rotate_invite_token(db, meeting_id) revokes it.

The visitor's side (handoff.visitor_meetings, handoff.reminders; not re-exported here):
    # book_meeting queues their confirmation: invite + signed reschedule/cancel links (visitor_links)
    move_meeting_by_visitor(db, roster, notifications, secret, meeting_id, token, start, now)
    cancel_meeting_by_visitor(db, roster, notifications, secret, meeting_id, token, now)
        # VisitorLinkRefused(code) for a forged, spent or expired link, or a time that cannot be had
    send_due_reminders(db, roster, sla.meeting_reminders, notifications, now)   # once per meeting

The rep's side:
    decide_meeting(db, meeting_id, token, accept, reason, roster, now, notifications, tracks)
        # -> MeetingDecision; raises DecisionRefused(code) for not_found | bad_token | expired |
        #    reason_required | already_decided. Rejection frees the time and recycles to nurture.
    decide_meeting_as(db, meeting_id, actor, accept, reason, roster, now, notifications, tracks, only_rep)
        # the same decision by a console user (only_rep: a rep acts on their own meetings only)
    reassign_meeting(db, meeting_id, to_rep_id, actor, reason, roster, now, notifications)
        # -> Reassignment; the new rep gets the booking email + invite, the old one a cancellation
    eligible_reps(db, roster, meeting_id)                # who could take the meeting's time
    decision_links(base_url, meeting_id, token)          # the accept/reject URLs put in the email
    meeting_summary(db, roster, meeting_id, token)       # what the accept/reject page shows; only
        # for the valid, unexpired token of a booked meeting, else DecisionRefused as above
    rep_feed(db, roster, rep_id)                         # VCALENDAR of the rep's meetings
    version = feed_token_version(db, rep_id)             # rotate_feed_token(db, rep_id) raises it
    feed_url(base_url, secret, rep_id, version) / check_feed_token(secret, rep_id, token, version)
        # secret: appconfig.settings.secret_key()

SLAs (config/sla.yml; the outbox worker runs SlaWatch.run_if_due after each round):
    sla = load_sla("config/sla.yml")
    check_slas(db, roster, sla, notifications, now)      # reminders, re-routes, escalations, once each
    answer_person_request(db, request_id, actor)         # ends a person request's SLA

A visitor's own data (handoff.data_requests, not re-exported here):
    request_data(db, "export" | "erase", email, base_url, link_hours, now)   # the emailed link
    check_link(db, kind, token, now) / claim_erasure(db, token, now)          # the address, or DataRequestRefused

Everyone else:
    track = choose_track(tracks, facts)                  # -> Track(id, closed, content, enrolment_list)
    track = enrol_in_nurture(db, tracks, facts, notifications)   # + stage and queued enrolment

Delivery (outbox; a worker started with the web or action server):
    enqueue(session, kind, target, payload)              # kind: email | webhook | crm; caller's transaction
    await deliver_due(db, senders, now)                  # one round -> DeliveryReport(sent, retrying, parked)
    await run_worker(db, default_senders(SmtpSettings.from_env()), stop_event)   # SMTP_HOST/PORT/USER/...
    parked_messages(db) / requeue(db, message_id)
"""

from .booking import (
    Booking,
    BookingResult,
    DecisionRefused,
    MeetingDecision,
    TimeNotOffered,
    TimeTaken,
    UpcomingMeeting,
    book_meeting,
    decide_meeting,
    decide_meeting_as,
    meeting_summary,
    upcoming_meeting,
)
from .company import (
    CompanyFacts,
    FreeMail,
    Industries,
    derive_company_facts,
    load_free_mail,
    load_industries,
    registrable_domain,
    store_company_facts,
)
from .facts import LeadFacts
from .geo import country_for_timezone, zones_of
from .ics import (
    check_feed_token,
    check_invite_token,
    check_visitor_link_token,
    feed_token,
    feed_token_version,
    feed_url,
    invite_for,
    invite_token,
    invite_token_version,
    invite_url,
    meeting_invite,
    rep_feed,
    rotate_feed_token,
    rotate_invite_token,
    visitor_link_token,
    visitor_links,
)
from .meeting_times import (
    MeetingTime,
    OfferReply,
    asks_to_move,
    format_meeting_time,
    open_times,
    parse_time_payload,
    pick_by_ordinal,
    read_offer_reply,
)
from .notify import Notifications, crm_payload, decision_links, slack_message
from .nurture import ContentOffer, NurtureConfig, Track, choose_track, enrol_in_nurture, load_nurture
from .offers import Offer, current_offer, may_book, offered_rep, record_offer
from .outbox import (
    DeliveryReport,
    OutboxPolicy,
    deliver_due,
    enqueue,
    outbox_message,
    parked_messages,
    requeue,
    run_worker,
)
from .person_requests import PersonContact, request_a_person
from .reassign import Reassignment, eligible_reps, reassign_meeting
from .roster import Rep, Roster, load_roster
from .routing import RoutingDecision, latest_assignment, route_lead
from .routing_questions import ROUTING_SLOTS, read_routing_answer, routing_questions
from .senders import SmtpSettings, default_senders, post_json, smtp_sender
from .sla import SlaConfig, SlaReport, SlaWatch, answer_person_request, check_slas, load_sla

__all__ = [
    "CompanyFacts",
    "FreeMail",
    "Industries",
    "derive_company_facts",
    "load_free_mail",
    "load_industries",
    "registrable_domain",
    "store_company_facts",
    "Reassignment",
    "SlaConfig",
    "SlaReport",
    "SlaWatch",
    "answer_person_request",
    "check_slas",
    "decide_meeting_as",
    "eligible_reps",
    "load_sla",
    "reassign_meeting",
    "UpcomingMeeting",
    "may_book",
    "Offer",
    "current_offer",
    "offered_rep",
    "record_offer",
    "PersonContact",
    "request_a_person",
    "pick_by_ordinal",
    "OfferReply",
    "read_offer_reply",
    "asks_to_move",
    "upcoming_meeting",
    "Booking",
    "BookingResult",
    "check_invite_token",
    "check_visitor_link_token",
    "visitor_link_token",
    "visitor_links",
    "invite_token",
    "invite_url",
    "ContentOffer",
    "DecisionRefused",
    "DeliveryReport",
    "LeadFacts",
    "MeetingDecision",
    "Notifications",
    "NurtureConfig",
    "OutboxPolicy",
    "Rep",
    "Roster",
    "RoutingDecision",
    "MeetingTime",
    "TimeNotOffered",
    "TimeTaken",
    "SmtpSettings",
    "Track",
    "book_meeting",
    "check_feed_token",
    "choose_track",
    "country_for_timezone",
    "crm_payload",
    "decide_meeting",
    "decision_links",
    "default_senders",
    "deliver_due",
    "enqueue",
    "enrol_in_nurture",
    "feed_token",
    "feed_token_version",
    "feed_url",
    "invite_token_version",
    "rotate_feed_token",
    "rotate_invite_token",
    "latest_assignment",
    "load_nurture",
    "load_roster",
    "meeting_invite",
    "open_times",
    "outbox_message",
    "parked_messages",
    "post_json",
    "rep_feed",
    "requeue",
    "route_lead",
    "ROUTING_SLOTS",
    "read_routing_answer",
    "routing_questions",
    "zones_of",
    "run_worker",
    "slack_message",
    "smtp_sender",
    "format_meeting_time",
    "invite_for",
    "meeting_summary",
    "parse_time_payload",
]
