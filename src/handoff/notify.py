"""What the rep, Slack, the CRM and marketing automation are told, as outbox messages.

CRM push (kind `crm`, POSTed as JSON to CRM_WEBHOOK_URL), one per booking and per decision:

    {"event": "meeting.booked" | "meeting.accepted" | "meeting.rejected" | "meeting.moved" | "meeting.cancelled",
     "lead": {"visitor_id", "stage", "person_name", "email", "company", "company_size", "timezone"},
     "answers": {"budget": {"amount", "currency", "period"}, "authority", "need", "timeline_days"},
     "score": {"tier", "score", "reasons": [text], "parts": [{"rule", "points", "group", "detail"}]},
     "rep": {"id", "name", "email", "timezone"},
     "routing": {"rule", "reasons": [text]} | null,
     "meeting": {"id", "start", "end", "status", "reason", "ics_uid"}}   (times ISO 8601 UTC)

The visitor (kind `email`, to the lead's address, when it has one and `link_key` is set): a
confirmation with the invite and signed reschedule and cancel links on booking, on moving the
meeting and when it passes to another rep, a confirmation with the cancellation when they cancel,
the cancellation when the rep rejects the meeting before it starts (never with the rep's reason),
and the reminder before it.

Nurture enrolment (kind `webhook`, to MARKETING_WEBHOOK_URL):

    {"event": "nurture.enrol", "track": {"id", "name", "list"}, "lead": {...as above}}
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field, fields
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from appconfig.settings import DEFAULTS, Settings, load_settings, secret_key
from leaddb.leads import Lead, QualificationDecision
from leaddb.meetings import LeadAssignment, Meeting

from .geo import zone
from .ics import meeting_invite, visitor_links
from .meeting_times import MeetingTime, format_meeting_time
from .outbox import enqueue
from .roster import Rep

Transcript = Sequence[tuple[str, str]]  # (who, text) pairs, oldest first


@dataclass(frozen=True)
class Notifications:
    """Where booking and nurture news goes. Webhook URLs are secrets: read from the
    environment, never from YAML."""

    public_base_url: str = DEFAULTS.public_base_url  # for the rep's accept/reject links
    email_reps: bool = DEFAULTS.email_reps
    slack_webhook_url: str | None = None
    crm_webhook_url: str | None = None
    marketing_webhook_url: str | None = None
    # LEADQUAL_SECRET_KEY, which signs the visitor's reschedule and cancel links; without it
    # the visitor gets no email (a link nobody can check would be worse than none).
    link_key: str | None = field(default=None, repr=False)

    @classmethod
    def from_env(cls, settings: Settings | None = None) -> Notifications:
        """PUBLIC_BASE_URL, EMAIL_REPS, the *_WEBHOOK_URL settings and the signing key (read now
        unless given)."""
        settings = settings or load_settings()
        try:
            link_key: str | None = secret_key(settings)
        except RuntimeError:  # not set outside development: start-up checks refuse that already
            link_key = None
        same_names = {item.name: getattr(settings, item.name) for item in fields(cls) if item.name != "link_key"}
        return cls(**same_names, link_key=link_key)


def decision_links(base_url: str, meeting_id: int, token: str) -> tuple[str, str]:
    """(accept URL, reject URL) for the rep; the web app serves them and calls decide_meeting."""
    base = f"{base_url.rstrip('/')}/meetings/{meeting_id}"
    return f"{base}/accept?token={token}", f"{base}/reject?token={token}"


def enqueue_booking_news(
    session: Session,
    notifications: Notifications,
    rep: Rep,
    meeting: Meeting,
    lead: Lead,
    token: str,
    transcript: Transcript,
    now: datetime,
) -> None:
    """Queue the rep's email (with the invite), the Slack note and the CRM push for a new
    booking, in the booking's transaction."""
    decision = _latest(session, QualificationDecision, lead.id)
    assignment = _latest(session, LeadAssignment, lead.id)
    when = format_meeting_time(MeetingTime(meeting.start, meeting.end), rep.timezone)
    who = who_is(lead)
    if notifications.email_reps:
        enqueue(
            session,
            "email",
            rep.email,
            {
                "subject": f"New meeting: {who} – {when}",
                "text": rep_email_text(notifications, rep, meeting, lead, decision, assignment, token, transcript),
                "attachments": [invite_attachment(meeting, rep, lead)],
            },
            now,
        )
    if notifications.slack_webhook_url:
        text = f":calendar: {who} booked a meeting with {rep.name} for {when}."
        if lead.score is not None:
            text += f" Score {lead.score:g} ({lead.tier})."
        enqueue(session, "webhook", notifications.slack_webhook_url, slack_message(text), now)
    enqueue_crm_push(session, notifications, "meeting.booked", rep, meeting, lead, now)


def invite_attachment(
    meeting: Meeting, rep: Rep, lead: Lead, method: str = "REQUEST", for_visitor: bool = False
) -> dict:
    """The meeting's calendar file as an email attachment: REQUEST adds or updates the event
    (same UID, higher SEQUENCE), CANCEL removes it. The visitor's copy carries no internal note."""
    return {
        "filename": "cancel.ics" if method == "CANCEL" else "invite.ics",
        "content_type": "text/calendar",
        "method": method,
        "content": meeting_invite(meeting, rep, lead, method, for_visitor),
    }


def visitor_zone(lead: Lead, rep: Rep | None) -> str:
    """The zone the visitor sees times in: theirs when the website told us, else the rep's."""
    if lead.timezone:
        try:
            zone(lead.timezone)
            return lead.timezone
        except ValueError:
            pass
    return rep.timezone if rep is not None else "UTC"


# What each visitor email says: (subject prefix, first paragraph, whether the links still work).
_VISITOR_NEWS = {
    "booked": ("Your meeting with {rep}", "You're booked with {rep} on {when}. The calendar invite is attached.", True),
    "moved": (
        "Moved: your meeting with {rep}",
        "Your meeting with {rep} is now on {when}. The attached invite updates your calendar.",
        True,
    ),
    "reminder": ("Reminder: your meeting with {rep}", "A reminder: you meet {rep} on {when}.", True),
    "cancelled": (
        "Cancelled: your meeting with {rep}",
        "Your meeting with {rep} on {when} is cancelled; the attachment removes it from your calendar. "
        "If you'd like another time, ask the chat on our website.",
        False,
    ),
    "reassigned": (
        "Now with {rep}: your meeting",
        "Your meeting on {when} is now with {rep}; the time stays the same. The attached invite updates your calendar.",
        True,
    ),
    # The rep's reason is internal (it may judge the lead): the visitor hears only that the
    # team cancelled. The site's home page, which the same web app serves, has the chat.
    "rejected": (
        "Cancelled: your meeting with {rep}",
        "We're sorry: our team has had to cancel your meeting with {rep} on {when}; the attachment "
        "removes it from your calendar. If you'd still like to talk to us, the chat on our website "
        "can find you another time: {site}",
        False,
    ),
}
_CANCELLING = ("cancelled", "rejected")


def enqueue_visitor_news(
    session: Session, notifications: Notifications, news: str, rep: Rep, meeting: Meeting, lead: Lead, now: datetime
) -> bool:
    """Queue the visitor's email about their meeting (`news`: booked | moved | reassigned (`rep`
    is the new one) | reminder | cancelled | rejected) in the caller's transaction; False when
    there is nobody to send it to (no address on the lead) or no key to sign its links."""
    if not lead.email or not notifications.link_key:
        return False
    subject, opening, with_links = _VISITOR_NEWS[news]
    shown_zone = visitor_zone(lead, rep)
    when = format_meeting_time(MeetingTime(meeting.start, meeting.end), shown_zone)
    lines = [f"Hello {lead.person_name.split()[0]}," if lead.person_name else "Hello,", ""]
    site = f"{notifications.public_base_url.rstrip('/')}/"
    lines.append(opening.format(rep=rep.name, when=f"{when} ({shown_zone})", site=site))
    if with_links:
        reschedule_url, cancel_url = visitor_links(
            notifications.public_base_url, notifications.link_key, meeting.id, meeting.invite_token_version or 0
        )
        lines += ["", "Need another time? Choose one here:", f"  {reschedule_url}"]
        lines += ["Can't make it? Cancel here:", f"  {cancel_url}"]
        lines += ["", "These links work until the meeting starts or is cancelled."]
    lines += ["", "Beacon"]
    payload = {
        "subject": f"{subject.format(rep=rep.name)} – {when}",
        "text": "\n".join(lines) + "\n",
        "attachments": [
            invite_attachment(meeting, rep, lead, "CANCEL" if news in _CANCELLING else "REQUEST", for_visitor=True)
        ],
    }
    enqueue(session, "email", lead.email, payload, now)
    return True


def enqueue_rep_news(
    session: Session,
    notifications: Notifications,
    news: str,
    rep: Rep,
    meeting: Meeting,
    lead: Lead,
    now: datetime,
    was: MeetingTime | None = None,
) -> None:
    """Queue the rep's email when the visitor moved (`was`: the old time) or cancelled the
    meeting, with the updated invite or the cancellation, or before it as a reminder."""
    if not notifications.email_reps:
        return
    when = format_meeting_time(MeetingTime(meeting.start, meeting.end), rep.timezone)
    first = rep.name.split()[0]
    if news == "moved" and was is not None:
        subject = f"Moved by the visitor: {who_is(lead)} – {when}"
        text = (
            f"Hi {first},\n\n{who_is(lead)} moved their meeting with you from "
            f"{format_meeting_time(was, rep.timezone)} to {when} ({rep.timezone}). "
            "The attached invite updates your calendar.\n"
        )
    elif news == "cancelled":
        subject = f"Cancelled by the visitor: {who_is(lead)} – {when}"
        text = (
            f"Hi {first},\n\n{who_is(lead)} cancelled their meeting with you on {when} ({rep.timezone}). "
            "The time is free again; the attached cancellation removes it from your calendar.\n"
        )
    elif news == "reminder":
        subject = f"Coming up: {who_is(lead)} – {when}"
        text = f"Hi {first},\n\nA reminder: you meet {who_is(lead)} on {when} ({rep.timezone}).\n\n"
        text += "\n".join(lead_lines(lead)) + "\n"
    else:
        raise ValueError(f"no rep email for {news!r}")
    attachments = (
        []
        if news == "reminder"
        else [invite_attachment(meeting, rep, lead, "CANCEL" if news == "cancelled" else "REQUEST")]
    )
    enqueue(session, "email", rep.email, {"subject": subject, "text": text, "attachments": attachments}, now)


def enqueue_crm_push(
    session: Session, notifications: Notifications, event: str, rep: Rep, meeting: Meeting, lead: Lead, now: datetime
) -> None:
    if notifications.crm_webhook_url:
        payload = crm_payload(
            event,
            lead,
            _latest(session, QualificationDecision, lead.id),
            _latest(session, LeadAssignment, lead.id),
            rep,
            meeting,
        )
        enqueue(session, "crm", notifications.crm_webhook_url, payload, now)


def slack_message(text: str) -> dict:
    """A payload Slack incoming webhooks accept (Mattermost and Rocket.Chat take it too)."""
    return {"text": text}


def lead_summary(lead: Lead) -> dict:
    return {
        "visitor_id": lead.visitor_id,
        "stage": lead.stage,
        "person_name": lead.person_name,
        "email": lead.email,
        "company": lead.company,
        "company_size": lead.company_size,
        "timezone": lead.timezone,
    }


def crm_payload(
    event: str,
    lead: Lead,
    decision: QualificationDecision | None,
    assignment: LeadAssignment | None,
    rep: Rep,
    meeting: Meeting,
) -> dict:
    return {
        "event": event,
        "lead": lead_summary(lead),
        "answers": {
            "budget": {"amount": lead.budget_amount, "currency": lead.budget_currency, "period": lead.budget_period},
            "authority": lead.authority,
            "need": lead.need,
            "timeline_days": lead.timeline_days,
        },
        "score": {
            "tier": lead.tier,
            "score": lead.score,
            "reasons": list(lead.reasons or []),
            "parts": list(decision.parts) if decision else [],
        },
        "rep": {"id": rep.id, "name": rep.name, "email": rep.email, "timezone": rep.timezone},
        "routing": {"rule": assignment.rule, "reasons": list(assignment.reasons)} if assignment else None,
        "meeting": {
            "id": meeting.id,
            "start": meeting.start.isoformat(),
            "end": meeting.end.isoformat(),
            "status": meeting.status,
            "reason": meeting.reason,
            "ics_uid": meeting.ics_uid,
        },
    }


def rep_email_text(
    notifications: Notifications,
    rep: Rep,
    meeting: Meeting,
    lead: Lead,
    decision: QualificationDecision | None,
    assignment: LeadAssignment | None,
    token: str,
    transcript: Transcript,
) -> str:
    meeting_time = MeetingTime(meeting.start, meeting.end)
    accept_url, reject_url = decision_links(notifications.public_base_url, meeting.id, token)
    lines = [
        f"Hi {rep.name.split()[0]},",
        "",
        "A sales-qualified visitor booked a meeting with you in the website chat.",
        "",
        f"When: {format_meeting_time(meeting_time, rep.timezone)} ({rep.timezone})",
    ]
    if lead.timezone and lead.timezone != rep.timezone:
        try:
            lines.append(f"      {format_meeting_time(meeting_time, lead.timezone)} for the visitor ({lead.timezone})")
        except ValueError:
            pass  # an unknown visitor zone only loses this extra line
    lines += ["", *lead_lines(lead)]
    lines += [f"  - {reason}" for reason in (lead.reasons or [])]
    if decision and decision.parts:
        lines += ["  Parts:"] + [
            f"    {part.get('points', 0):+g}  {part.get('rule', '')}  {part.get('detail', '')}".rstrip()
            for part in decision.parts
        ]
    if assignment:
        lines += ["", f"WHY YOU: {assignment.rule}"] + [f"  - {reason}" for reason in assignment.reasons]
    lines += [
        "",
        "Please accept or reject this lead (a rejection needs a reason and moves the lead to nurture):",
        f"  Accept: {accept_url}",
        f"  Reject: {reject_url}",
        "",
        *transcript_lines(transcript),
    ]
    lines += ["", "The calendar invite is attached (invite.ics)."]
    return "\n".join(lines) + "\n"


def lead_lines(lead: Lead) -> list[str]:
    """Who the visitor is and what they answered, as the rep's and the queue's emails show it."""
    return [
        "LEAD",
        f"  Name:     {lead.person_name or '-'}",
        f"  Email:    {lead.email or '-'}",
        f"  Company:  {lead.company or '-'}" + (f" ({lead.company_size:,} employees)" if lead.company_size else ""),
        f"  Industry: {lead.industry or '-'}" + (f" ({lead.industry_source})" if lead.industry_source else ""),
        f"  Country:  {lead.country or '-'}" + (f" (zone {lead.timezone})" if lead.timezone else ""),
        "",
        "ANSWERS",
        f"  Budget:    {_budget(lead)}",
        f"  Authority: {lead.authority or '-'}",
        f"  Need:      {lead.need or '-'}",
        f"  Timeline:  {_timeline(lead.timeline_days)}",
        "",
        f"SCORE: {lead.score:g} ({lead.tier})" if lead.score is not None else "SCORE: -",
    ]


def transcript_lines(transcript: Transcript) -> list[str]:
    return ["TRANSCRIPT"] + ([f"  {who}: {text}" for who, text in transcript] or ["  (none)"])


def who_is(lead: Lead) -> str:
    """The visitor in a subject line: name or email, and the company."""
    name = lead.person_name or lead.email or "A website visitor"
    return f"{name} ({lead.company})" if lead.company else name


def _budget(lead: Lead) -> str:
    if lead.budget_amount is None:
        return "-"
    parts = [f"{lead.budget_amount:,.0f}"]
    if lead.budget_currency:
        parts.append(lead.budget_currency)
    if lead.budget_period:
        parts.append(f"per {lead.budget_period}")
    return " ".join(parts)


def _timeline(days: int | None) -> str:
    return "-" if days is None else f"in about {days} days"


def _latest(session: Session, model, lead_id: int):
    return session.execute(
        select(model).where(model.lead_id == lead_id).order_by(model.id.desc()).limit(1)
    ).scalar_one_or_none()
