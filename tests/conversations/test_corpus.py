"""The conversation corpus (tests/conversations/*.yml, see README.md) over the real REST channel."""

from __future__ import annotations

import sqlite3
import threading
import uuid
from contextlib import contextmanager
from datetime import datetime, timedelta, timezone
from pathlib import Path

import httpx
import pytest
import yaml

from leaddb import LeadStore
from tests.support.identity import proof_cookie, proof_headers

pytestmark = pytest.mark.e2e

CORPUS = Path(__file__).resolve().parent
PICK_FIRST = "<first offered time>"


def _visitors() -> list:
    params = []
    for path in sorted(CORPUS.glob("*.yml")):
        for visitor in yaml.safe_load(path.read_text(encoding="utf-8"))["visitors"]:
            marks = []
            if visitor.get("known_failure"):
                marks.append(pytest.mark.xfail(reason=visitor["known_failure"], strict=True))
            params.append(pytest.param(visitor, id=f"{path.stem}: {visitor['name']}", marks=marks))
    return params


def _send(stack, sender: str, text: str, zone: str | None) -> list[dict]:
    body = {"sender": sender, "message": text, **({"metadata": {"timezone": zone}} if zone else {})}
    response = httpx.post(
        f"http://127.0.0.1:{stack.env['RASA_PORT']}/webhooks/rest/webhook",
        json=body,
        headers=proof_headers(sender, stack.env),
        timeout=90,
    )
    assert response.status_code == 200, response.text
    return response.json()


def _track(stack, sender: str, kinds: list[str]) -> None:
    now = datetime.now(timezone.utc)
    events = [
        {
            "id": uuid.uuid4().hex,
            "type": kind,
            "url": f"https://beacon.example/{'pricing' if kind == 'pricing_view' else 'resources'}",
            "occurred_at": (now - timedelta(minutes=10 * (len(kinds) - i))).isoformat(),
        }
        for i, kind in enumerate(kinds)
    ]
    response = httpx.post(
        f"http://127.0.0.1:{stack.env['WEB_PORT']}/track",
        json={"visitor_id": sender, "events": events},
        headers=proof_cookie(sender, stack.env),  # as the visitor's browser sends it
        timeout=30,
    )
    assert response.status_code in (200, 202), response.text


def _questions_repeated_in_a_row(bot_lines: list[str]) -> list[str]:
    """Bot questions that came three or more times in a row (other bot lines in between count
    as the same run: the form asks again after a short reply)."""
    questions = [line for line in bot_lines if line.rstrip().endswith("?")]
    repeated, run = [], 1
    for previous, line in zip(questions, questions[1:]):
        run = run + 1 if line == previous else 1
        if run == 3:
            repeated.append(line)
    return repeated


@contextmanager
def _database_locked(stack, seconds: float):
    """Another process holds the lead database's write lock for `seconds` (SQLite only): the
    message sent meanwhile must still be answered and its answer stored."""
    url = stack.env["DATABASE_URL"]
    assert url.startswith("sqlite:///"), "the locked-database turn needs the SQLite profile"
    locked, release = threading.Event(), threading.Event()

    def hold() -> None:
        connection = sqlite3.connect(url.removeprefix("sqlite:///"), timeout=30, isolation_level=None)
        try:
            connection.execute("BEGIN EXCLUSIVE")
            locked.set()
            release.wait(seconds)
            connection.execute("ROLLBACK")
        finally:
            connection.close()

    holder = threading.Thread(target=hold, daemon=True)
    holder.start()
    assert locked.wait(30), "could not take the database lock"
    timer = threading.Timer(seconds, release.set)
    timer.start()
    try:
        yield
    finally:
        release.set()
        timer.cancel()
        holder.join(30)


@pytest.mark.parametrize("visitor", _visitors())
def test_visitor(running_stack, visitor):
    sender = f"corpus-{uuid.uuid4().hex[:10]}"
    zone = visitor.get("timezone")
    if visitor.get("track"):
        _track(running_stack, sender, visitor["track"])
    bot_lines: list[str] = []
    buttons: list[dict] = []
    for turn in visitor["turns"]:
        lock_seconds = turn.get("with_database_locked_for", 0) if isinstance(turn, dict) else 0
        text = turn["say"] if isinstance(turn, dict) else turn
        if text == PICK_FIRST:
            assert buttons, f"no meeting times were offered before {PICK_FIRST}; the bot said: {bot_lines[-3:]}"
            text = buttons[0]["payload"]
        if lock_seconds:
            with _database_locked(running_stack, lock_seconds):
                replies = _send(running_stack, sender, text, zone)
        else:
            replies = _send(running_stack, sender, text, zone)
        # The transcript, kept by pytest for a failed visitor (make nlu-report shows it).
        print(f"visitor: {text}")
        assert replies, f"no reply to {turn!r}"
        last_lines = [r.get("text", "") for r in replies if r.get("text")]
        bot_lines += last_lines
        for reply in replies:
            choices = " | ".join(b.get("title", "") for b in reply.get("buttons") or [])
            print(f"bot: {reply.get('text') or ''}{f' [{choices}]' if choices else ''}")
        offered = [b for r in replies for b in (r.get("buttons") or []) if "choose_slot" in b.get("payload", "")]
        if offered:
            buttons = offered

    assert _questions_repeated_in_a_row(bot_lines) == [], bot_lines
    expect = visitor["expect"]
    store = LeadStore.from_url(running_stack.env["DATABASE_URL"])
    try:
        lead = store.get_lead(sender) or {}
        tier = lead.get("tier") or "none"
        assert tier == expect["tier"], f"tier {tier}, reasons {lead.get('reasons')}; bot said: {bot_lines}"
        held = [m for m in store.meetings(sender) if m["status"] in ("booked", "accepted")]
        assert bool(held) == expect.get("booked", False), bot_lines
        for column, value in (expect.get("answers") or {}).items():
            assert lead.get(column) == value, f"{column}: stored {lead.get(column)!r}, expected {value!r}"
        for words in expect.get("said") or []:
            assert any(words in line for line in bot_lines), f"the bot never said {words!r}: {bot_lines}"
        for words in expect.get("not_said") or []:
            assert not any(words in line for line in bot_lines), f"the bot said {words!r}: {bot_lines}"
        for words in expect.get("said_last") or []:
            assert any(words in line for line in last_lines), f"the last reply lacks {words!r}: {last_lines}"
        rows = [answer["slot"] for answer in store.answers(sender)]
        for slot, count in (expect.get("answer_rows") or {}).items():
            assert rows.count(slot) == count, f"{slot}: {rows.count(slot)} answers stored, expected {count}"
        if "person_request" in expect:
            assert (lead.get("handoff_requested_at") is not None) == expect["person_request"], bot_lines
    finally:
        store.engine.dispose()


def test_the_repeat_check_can_fail():
    lines = ["What's your budget?", "Sorry, an example: 50k", "What's your budget?", "What's your budget?"]
    assert _questions_repeated_in_a_row(lines) == ["What's your budget?"]
    assert _questions_repeated_in_a_row(["A?", "A?", "B?", "A?"]) == []
