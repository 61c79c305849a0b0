"""`python -m handoff`: a rep accepts or rejects a booked lead from the command line."""

import os
import shutil
import subprocess
import sys
from pathlib import Path

from handoff import book_meeting, open_times
from leaddb import utcnow

PROJECT = Path(__file__).resolve().parents[2]


def _cli(*args, config_dir, database_url):
    env = {
        **os.environ,
        "DATABASE_URL": database_url,
        "LEADQUAL_CONFIG_DIR": str(config_dir),
        "LEADQUAL_VAR_DIR": str(config_dir),
    }
    return subprocess.run(
        [sys.executable, "-m", "handoff", *args], env=env, capture_output=True, text=True, timeout=120
    )


def _booked(store, roster, now=None):
    """A meeting booked `now` (default: really now, since the CLI decides at the real time and a
    decision link expires `decision_link_days` after the meeting)."""
    now = now or utcnow()
    store.record_answer("v-cli", "need", "…", {"need": "forecasting"})
    meeting_time = open_times(roster, "munich", store, now)[0]
    return book_meeting(store, "munich", "v-cli", meeting_time.start, roster, now)


def test_reject_needs_a_reason_and_recycles_the_lead(tmp_path, roster_path, roster, sqlite_store, sqlite_url):
    shutil.copy(PROJECT / "config" / "nurture.yml", tmp_path / "nurture.yml")
    booking = _booked(sqlite_store, roster)

    no_reason = _cli(
        "reject",
        str(booking.meeting_id),
        "--token",
        booking.decision_token,
        config_dir=tmp_path,
        database_url=sqlite_url,
    )
    assert no_reason.returncode == 2 and "--reason" in no_reason.stderr

    wrong = _cli(
        "reject",
        str(booking.meeting_id),
        "--token",
        "guess",
        "--reason",
        "spam",
        config_dir=tmp_path,
        database_url=sqlite_url,
    )
    assert wrong.returncode == 2 and "not valid" in wrong.stderr and "Traceback" not in wrong.stderr

    done = _cli(
        "reject",
        str(booking.meeting_id),
        "--token",
        booking.decision_token,
        "--reason",
        "a student, not a buyer",
        config_dir=tmp_path,
        database_url=sqlite_url,
    )
    assert done.returncode == 0, done.stderr
    assert f"meeting {booking.meeting_id} rejected" in done.stdout
    assert sqlite_store.get_lead("v-cli")["stage"] == "nurture"


def test_accept_and_unknown_meeting(tmp_path, roster_path, roster, sqlite_store, sqlite_url):
    shutil.copy(PROJECT / "config" / "nurture.yml", tmp_path / "nurture.yml")
    booking = _booked(sqlite_store, roster)
    done = _cli(
        "accept",
        str(booking.meeting_id),
        "--token",
        booking.decision_token,
        config_dir=tmp_path,
        database_url=sqlite_url,
    )
    assert done.returncode == 0 and "accepted" in done.stdout
    assert sqlite_store.get_lead("v-cli")["stage"] == "accepted"
    missing = _cli("accept", "999", "--token", "x", config_dir=tmp_path, database_url=sqlite_url)
    assert missing.returncode == 2 and "no meeting 999" in missing.stderr


def test_broken_roster_is_named(tmp_path, sqlite_url):
    (tmp_path / "roster.yml").write_text("reps: nope\n")
    result = _cli("outbox", config_dir=tmp_path, database_url=sqlite_url)
    assert result.returncode == 2 and "roster.yml" in result.stderr and "Traceback" not in result.stderr
