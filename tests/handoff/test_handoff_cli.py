"""`python -m handoff`: a rep accepts or rejects a booked lead from the command line."""

import os
import shutil
import subprocess
import sys
from datetime import timedelta
from pathlib import Path

from handoff import book_meeting, feed_token_version, invite_token_version, open_times
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
        f"--token={booking.decision_token}",
        config_dir=tmp_path,
        database_url=sqlite_url,
    )
    assert no_reason.returncode == 2 and "--reason" in no_reason.stderr

    wrong = _cli(
        "reject",
        str(booking.meeting_id),
        "--token=guess",
        "--reason",
        "spam",
        config_dir=tmp_path,
        database_url=sqlite_url,
    )
    assert wrong.returncode == 2 and "not valid" in wrong.stderr and "Traceback" not in wrong.stderr

    done = _cli(
        "reject",
        str(booking.meeting_id),
        f"--token={booking.decision_token}",
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
        f"--token={booking.decision_token}",
        config_dir=tmp_path,
        database_url=sqlite_url,
    )
    assert done.returncode == 0 and "accepted" in done.stdout
    assert sqlite_store.get_lead("v-cli")["stage"] == "accepted"
    missing = _cli("accept", "999", "--token=x", config_dir=tmp_path, database_url=sqlite_url)
    assert missing.returncode == 2 and "no meeting 999" in missing.stderr


def test_broken_roster_is_named(tmp_path, sqlite_url):
    (tmp_path / "roster.yml").write_text("reps: nope\n")
    result = _cli("outbox", config_dir=tmp_path, database_url=sqlite_url)
    assert result.returncode == 2 and "roster.yml" in result.stderr and "Traceback" not in result.stderr


def test_rotate_feed_and_invite_print_new_links_and_revoke_the_old(
    tmp_path, roster_path, roster, sqlite_store, sqlite_url
):
    booking = _booked(sqlite_store, roster)
    env = {"config_dir": tmp_path, "database_url": sqlite_url}

    before = _cli("feed-url", "munich", **env)
    assert before.returncode == 0, before.stderr
    rotated = _cli("rotate-feed", "--rep", "munich", **env)
    assert rotated.returncode == 0, rotated.stderr
    new_url = rotated.stdout.strip()
    assert new_url != before.stdout.strip() and new_url.endswith(f"/reps/munich/meetings.ics?token={new_url[-32:]}")
    assert _cli("feed-url", "munich", **env).stdout.strip() == new_url  # feed-url prints the current one
    assert feed_token_version(sqlite_store, "munich") == 1 and feed_token_version(sqlite_store, "berlin") == 0

    invite = _cli("rotate-invite", "--meeting", str(booking.meeting_id), **env)
    assert invite.returncode == 0, invite.stderr
    assert f"/meetings/{booking.meeting_id}/invite.ics?token=" in invite.stdout
    assert invite_token_version(sqlite_store, booking.meeting_id) == 1

    unknown_rep = _cli("rotate-feed", "--rep", "nobody", **env)
    assert unknown_rep.returncode == 2 and "no rep 'nobody'" in unknown_rep.stderr
    unknown_meeting = _cli("rotate-invite", "--meeting", "999", **env)
    assert unknown_meeting.returncode == 2 and "no meeting 999" in unknown_meeting.stderr
    assert "Traceback" not in unknown_rep.stderr + unknown_meeting.stderr


def test_an_expired_decision_link_is_refused(tmp_path, roster_path, roster, sqlite_store, sqlite_url):
    shutil.copy(PROJECT / "config" / "nurture.yml", tmp_path / "nurture.yml")
    booking = _booked(sqlite_store, roster, now=utcnow() - timedelta(days=30))
    done = _cli(
        "accept",
        str(booking.meeting_id),
        f"--token={booking.decision_token}",
        config_dir=tmp_path,
        database_url=sqlite_url,
    )
    assert done.returncode == 2 and done.stderr == "error: this link has expired\n"
    assert sqlite_store.get_lead("v-cli")["stage"] == "meeting_booked"


def test_a_token_that_starts_with_a_dash_is_read_as_the_token(tmp_path, roster_path, roster, sqlite_store, sqlite_url):
    """token_urlsafe starts with '-' about once in 64 tokens; `--token=VALUE` (as documented) must still work."""
    shutil.copy(PROJECT / "config" / "nurture.yml", tmp_path / "nurture.yml")
    booking = _booked(sqlite_store, roster)
    dashed = _cli("accept", str(booking.meeting_id), "--token=-Xguess", config_dir=tmp_path, database_url=sqlite_url)
    assert dashed.returncode == 2 and "not valid" in dashed.stderr, dashed.stderr
