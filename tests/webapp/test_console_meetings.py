"""Accept, reject and reassign from the console's lead page over real HTTP against the running
web app: login, CSRF, the roles (a rep acts on their own meetings only, only managers reassign,
by page and by API), the audit, and the reps told through the outbox by real SMTP."""

from __future__ import annotations

import email
import re
from datetime import datetime, timezone
from email import policy

import httpx
import pytest
from icalendar import Calendar
from sqlalchemy import select

from appconfig.settings import Settings
from handoff import (
    Booking,
    Notifications,
    SmtpSettings,
    book_meeting,
    default_senders,
    deliver_due,
    load_roster,
    request_a_person,
)
from handoff.db import lead_for
from leaddb import LeadStore
from leaddb.leads import PersonRequest
from leaddb.meetings import HandoffAudit, LeadAssignment, Meeting
from tests.support.servers import PROJECT_ROOT, LocalSmtpServer, running_webapp
from webapp.console.users import add_user

from .test_console import PASSWORD, csrf_of, login

TOKEN = "console-api-token-for-meeting-tests"
# Monday 4 March 2030, 08:00 UTC: the bookings' clock. Their meetings are on Tuesday; the one
# reassigned at 09:00 UTC (09:00 for Priya in London, 10:00 in Berlin: Anna and Lukas at work).
BOOKED_AT = datetime(2030, 3, 4, 8, tzinfo=timezone.utc)
STARTS = [datetime(2030, 3, 5, hour, tzinfo=timezone.utc) for hour in (9, 10, 11, 14)]


@pytest.fixture(scope="module")
def console(tmp_path_factory):
    var_dir = tmp_path_factory.mktemp("console-meetings")
    database_url = f"sqlite:///{var_dir / 'leads.db'}"
    settings = Settings(var_dir=var_dir, database_url=database_url)
    add_user(settings, "ana", "sales_rep", PASSWORD, rep_id="priya.shah")
    add_user(settings, "ben", "sales_rep", PASSWORD, rep_id="lukas.weber")
    add_user(settings, "mia", "sales_manager", PASSWORD)
    add_user(settings, "max", "marketer", PASSWORD)
    store = LeadStore.from_url(database_url)
    roster = load_roster(PROJECT_ROOT / "config" / "roster.yml")
    meetings = {}
    for visitor, start in zip(("reassign", "accept", "reject", "other"), STARTS):
        store.record_answer(visitor, "person_name", f"Visitor {visitor}", {"person_name": f"Visitor {visitor}"})
        booking = book_meeting(store, "priya.shah", visitor, start, roster, BOOKED_AT, Notifications())
        assert isinstance(booking, Booking)
        with store.session() as session:  # what route_lead records in the chat
            lead = lead_for(session, visitor)
            session.add(LeadAssignment(lead_id=lead.id, rep_id="priya.shah", rule="test", reasons=["seeded"]))
        meetings[visitor] = (booking.meeting_id, lead.id)
    ask_for_a_person(store, roster)
    with running_webapp(database_url, LEADQUAL_VAR_DIR=str(var_dir), CONSOLE_API_TOKEN=TOKEN) as server:
        yield server, store, meetings


def ask_for_a_person(store, roster) -> None:
    """Visitor "other" also asked for a person: the request goes to their rep, Priya."""
    request_a_person(store, roster, Notifications(), "other", "asked for a callback", [], BOOKED_AT)


def meeting(store, meeting_id) -> Meeting:
    with store.session() as session:
        return session.get(Meeting, meeting_id)


def actions(store, meeting_id) -> list[tuple[str, str, str | None, str | None, str | None]]:
    with store.session() as session:
        return [
            (a.action, a.actor, a.rep_id, a.to_rep_id, a.reason)
            for a in session.scalars(select(HandoffAudit).where(HandoffAudit.meeting_id == meeting_id))
        ]


def act(client: httpx.Client, lead_id: int, meeting_id: int, **form) -> httpx.Response:
    csrf = csrf_of(client.get(f"/console/leads/{lead_id}").text)
    return client.post(f"/console/meetings/{meeting_id}/decision", data={"csrf_token": csrf, **form})


def test_a_rep_accepts_their_meeting_on_the_lead_page(console):
    server, store, meetings = console
    meeting_id, lead_id = meetings["accept"]
    ana, _ = login(server.url, "ana")
    page = ana.get(f"/console/leads/{lead_id}").text
    assert f'action="/console/meetings/{meeting_id}/decision"' in page and 'value="reassign"' not in page
    forged = ana.post(f"/console/meetings/{meeting_id}/decision", data={"csrf_token": "forged", "action": "accept"})
    assert forged.status_code == 403 and meeting(store, meeting_id).status == "booked"
    done = act(ana, lead_id, meeting_id, action="accept")
    assert done.status_code == 303 and done.headers["location"] == f"/console/leads/{lead_id}"
    assert meeting(store, meeting_id).status == "accepted" and store.get_lead("accept")["stage"] == "accepted"
    assert actions(store, meeting_id) == [("accepted", "ana", "priya.shah", None, None)]
    assert act(ana, lead_id, meeting_id, action="reject", reason="changed my mind").status_code == 409


def test_a_rejection_needs_a_reason(console):
    server, store, meetings = console
    meeting_id, lead_id = meetings["reject"]
    ana, _ = login(server.url, "ana")
    assert act(ana, lead_id, meeting_id, action="reject", reason="  ").status_code == 422
    assert meeting(store, meeting_id).status == "booked"
    assert act(ana, lead_id, meeting_id, action="reject", reason="student project").status_code == 303
    assert (meeting(store, meeting_id).status, meeting(store, meeting_id).reason) == ("rejected", "student project")
    assert store.get_lead("reject")["stage"] == "nurture"
    assert actions(store, meeting_id) == [("rejected", "ana", "priya.shah", None, "student project")]


def test_roles_are_checked_by_page_and_by_api(console):
    server, store, meetings = console
    meeting_id, lead_id = meetings["other"]
    ben, _ = login(server.url, "ben")  # another rep: Priya's meeting is not among his
    csrf = csrf_of(ben.get("/console/leads").text)
    assert (
        ben.post(f"/console/meetings/{meeting_id}/decision", data={"csrf_token": csrf, "action": "accept"}).status_code
        == 404
    )
    api = ben.post(
        f"/api/console/meetings/{meeting_id}/decision", json={"action": "accept"}, headers={"X-CSRF-Token": csrf}
    )
    assert api.status_code == 404
    ana, _ = login(server.url, "ana")  # her own meeting, but reps do not reassign
    assert act(ana, lead_id, meeting_id, action="reassign", to_rep="anna.schmidt", reason="busy").status_code == 403
    no_csrf = ana.post(f"/api/console/meetings/{meeting_id}/decision", json={"action": "accept"})
    assert no_csrf.status_code == 403
    max_, _ = login(server.url, "max")  # a marketer sees reports, acts on nothing
    csrf = csrf_of(max_.get("/console").text)
    assert (
        max_.post(f"/console/meetings/{meeting_id}/decision", data={"csrf_token": csrf, "action": "accept"}).status_code
        == 403
    )
    assert (
        httpx.post(f"{server.url}/api/console/meetings/{meeting_id}/decision", json={"action": "accept"}).status_code
        == 401
    )
    bad = httpx.post(
        f"{server.url}/api/console/meetings/{meeting_id}/decision",
        json={"action": "approve"},
        headers={"Authorization": f"Bearer {TOKEN}"},
    )
    assert bad.status_code == 400
    assert meeting(store, meeting_id).status == "booked" and actions(store, meeting_id) == []


async def test_a_manager_reassigns_the_new_rep_gets_the_booking_the_old_one_a_cancellation(console):
    server, store, meetings = console
    meeting_id, lead_id = meetings["reassign"]
    mia, _ = login(server.url, "mia")
    page = mia.get(f"/console/leads/{lead_id}").text
    offered = re.findall(r'<option value="([^"]+)">', page)
    assert "anna.schmidt" in offered and "lukas.weber" in offered and "priya.shah" not in offered
    assert "james.carter" not in offered  # 04:00 in New York
    refused = act(mia, lead_id, meeting_id, action="reassign", to_rep="james.carter", reason="try")
    assert refused.status_code == 409 and "cannot take this meeting" in refused.text
    assert act(mia, lead_id, meeting_id, action="reassign", to_rep="lukas.weber").status_code == 422
    done = act(mia, lead_id, meeting_id, action="reassign", to_rep="lukas.weber", reason="Priya is ill")
    assert done.status_code == 303
    moved = meeting(store, meeting_id)
    assert (moved.rep_id, moved.status) == ("lukas.weber", "booked")
    assert actions(store, meeting_id) == [("reassigned", "mia", "priya.shah", "lukas.weber", "Priya is ill")]
    with store.session() as session:
        routed = session.scalars(
            select(LeadAssignment).where(LeadAssignment.lead_id == lead_id).order_by(LeadAssignment.id.desc())
        ).first()
    assert (routed.rep_id, routed.rule, routed.reasons) == (
        "lukas.weber",
        "reassigned",
        ["reassigned by mia: Priya is ill"],
    )

    with LocalSmtpServer() as smtp:
        senders = default_senders(SmtpSettings(host="127.0.0.1", port=smtp.port, starttls=False))
        await deliver_due(store, senders)
        received = [(e.rcpt_tos[0], email.message_from_bytes(e.content, policy=policy.default)) for e in smtp.envelopes]
    [new] = [message for to, message in received if to == "lukas.weber@example.com"]
    [old] = [message for to, message in received if message["Subject"].startswith("Cancelled:")]
    assert dict(received)["priya.shah@example.com"] is old  # her last email
    assert new["Subject"].startswith("New meeting: Visitor reassign")
    assert f"/meetings/{meeting_id}/accept?token=" in new.get_body(("plain",)).get_content()
    assert Calendar.from_ical(next(new.iter_attachments()).get_content())["METHOD"] == "REQUEST"
    assert "Visitor reassign" in old["Subject"] and "Lukas Weber" in old["Subject"]
    assert Calendar.from_ical(next(old.iter_attachments()).get_content())["METHOD"] == "CANCEL"

    # Priya's rep user can no longer act on it; Lukas's can, by API with his session's CSRF token.
    ana, _ = login(server.url, "ana")
    assert ana.get(f"/console/leads/{lead_id}").status_code == 404
    ben, _ = login(server.url, "ben")
    csrf = csrf_of(ben.get(f"/console/leads/{lead_id}").text)
    accepted = ben.post(
        f"/api/console/meetings/{meeting_id}/decision", json={"action": "accept"}, headers={"X-CSRF-Token": csrf}
    )
    assert accepted.status_code == 200 and meeting(store, meeting_id).status == "accepted"
    assert actions(store, meeting_id)[-1] == ("accepted", "ben", "lukas.weber", None, None)


def test_a_rep_marks_a_request_for_a_person_answered_on_their_lead_only(console):
    server, store, meetings = console
    _, lead_id = meetings["other"]
    with store.session() as session:
        request = session.scalars(select(PersonRequest).where(PersonRequest.lead_id == lead_id)).one()
    assert request.rep_id == "priya.shah"
    url = f"/console/person-requests/{request.id}/answered"
    ben, _ = login(server.url, "ben")
    assert ben.post(url, data={"csrf_token": csrf_of(ben.get("/console/leads").text)}).status_code == 404
    ana, _ = login(server.url, "ana")
    assert ana.post(url, data={"csrf_token": "forged"}).status_code == 403
    page = ana.get(f"/console/leads/{lead_id}").text
    assert f'action="{url}"' in page
    assert ana.post(url, data={"csrf_token": csrf_of(page)}).status_code == 303
    with store.session() as session:
        answered = session.get(PersonRequest, request.id)
    assert (answered.answered_by, answered.answered_at is not None) == ("ana", True)
    assert "answered by ana" in ana.get(f"/console/leads/{lead_id}").text
