"""The SLA check really runs: three `python -m handoff worker` processes (as the production
profile starts OUTBOX_WORKERS of them) on one database deliver, by real SMTP, one reminder for
the meeting past its reminder time and one re-route (the new rep's booking, the old rep's
cancellation) for the meeting past its re-route time, however the three race."""

from __future__ import annotations

import email
import os
import shutil
import signal
import subprocess
import sys
import time
from datetime import timedelta
from email import policy

from handoff import Booking, Notifications, book_meeting, load_roster
from leaddb import LeadStore, utcnow
from tests.support.servers import PROJECT_ROOT, LocalSmtpServer

# Two reps at work around the clock, so the test does not depend on when it runs.
ROSTER_YML = """
meetings: {length_minutes: 30, horizon_days: 14, minimum_notice_minutes: 60}
segments: {all: "1+"}
reps:
  - {id: alpha, name: Al Alpha, email: al@example.com, timezone: Europe/Berlin,
     working_hours: {mon-sun: "00:00-23:59"}, territories: [DE], segments: [all], daily_meeting_cap: 20}
  - {id: beta, name: Bo Beta, email: bo@example.com, timezone: Europe/Berlin,
     working_hours: {mon-sun: "00:00-23:59"}, territories: [DE], segments: [all], daily_meeting_cap: 20}
routing_rules:
  - {name: germany, match_on: [territory]}
fallback: {queue: inbox}
queues:
  inbox: {email: inbox@example.com, timezone: Europe/Berlin, working_hours: {mon-fri: "09:00-17:00"}}
"""
SLA_YML = """
check_every_seconds: 5
manager: {name: Mona Manager, email: mona@example.com}
meetings: {remind_after_minutes: 5, reroute_after_minutes: 15}
meeting_reminders: {enabled: false}  # the visitor's reminders have their own tests
"""


def test_three_workers_remind_once_and_reroute_once(tmp_path):
    config = tmp_path / "config"
    shutil.copytree(PROJECT_ROOT / "config", config)
    (config / "roster.yml").write_text(ROSTER_YML)
    (config / "sla.yml").write_text(SLA_YML)
    roster = load_roster(config / "roster.yml")
    database_url = f"sqlite:///{tmp_path / 'leads.db'}"
    store = LeadStore.from_url(database_url)
    now = utcnow()
    for visitor, booked_ago in (("reminded", 7), ("rerouted", 20)):
        store.record_answer(visitor, "timezone", "Europe/Berlin", {"timezone": "Europe/Berlin"})
        booked_at = (now - timedelta(minutes=booked_ago)).replace(second=0, microsecond=0)
        start = (now + timedelta(days=1)).replace(minute=0, second=0, microsecond=0)
        start += timedelta(hours=1 if visitor == "reminded" else 3)
        assert isinstance(book_meeting(store, "alpha", visitor, start, roster, booked_at, Notifications()), Booking)
    store.engine.dispose()

    with LocalSmtpServer() as smtp:
        env = {
            **os.environ,
            "PYTHONPATH": os.pathsep.join([str(PROJECT_ROOT / "src"), str(PROJECT_ROOT)]),
            "LEADQUAL_VAR_DIR": str(tmp_path),
            "LEADQUAL_CONFIG_DIR": str(config),
            "DATABASE_URL": database_url,
            "TRACKER_STORE_URL": f"sqlite:///{tmp_path / 'no-conversations.db'}",
            "SMTP_HOST": "127.0.0.1",
            "SMTP_PORT": str(smtp.port),
            "SMTP_STARTTLS": "false",
        }
        workers = [
            subprocess.Popen(
                [sys.executable, "-m", "handoff", "worker", "--poll-seconds", "0.2"],
                cwd=PROJECT_ROOT,
                env=env,
                stdout=subprocess.DEVNULL,
                stderr=subprocess.PIPE,
                text=True,
            )
            for _ in range(3)
        ]
        try:
            deadline = time.monotonic() + 90
            while len(smtp.envelopes) < 5 and time.monotonic() < deadline:
                for worker in workers:
                    assert worker.poll() is None, worker.stderr.read() if worker.stderr else ""
                time.sleep(0.2)
            time.sleep(7)  # more check rounds of every worker (every 5 s): nothing more is sent
            received = [
                (envelope.rcpt_tos[0], email.message_from_bytes(envelope.content, policy=policy.default)["Subject"])
                for envelope in smtp.envelopes
            ]
        finally:
            for worker in workers:
                worker.send_signal(signal.SIGTERM)
            for worker in workers:
                worker.wait(timeout=30)
    kinds = sorted((to, subject.split(":")[0]) for to, subject in received)
    assert kinds == [
        ("al@example.com", "Cancelled"),  # the re-routed meeting, from Al's calendar
        ("al@example.com", "New meeting"),  # the two bookings
        ("al@example.com", "New meeting"),
        ("al@example.com", "Reminder"),  # once, for the meeting past 5 minutes only
        ("bo@example.com", "New meeting"),  # the re-routed meeting, with its invite
    ], received
