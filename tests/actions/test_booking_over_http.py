"""The booking gate at the real action server (`python -m actions.server` on a free loopback
port, real SQLite): what a crafted webhook call with a tracker of its own making gets.

The finding (issue 9): a request with `lead_tier: sql` listed a rep's free times for a lead
the database calls MQL, any bookable time booked, and a payload in year 1 crashed the action."""

from __future__ import annotations

import os
import secrets
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

from leaddb import LeadStore
from tests.actions.conftest import DOMAIN
from tests.actions.test_conversation_actions import SQL_ANSWERS

ROOT = Path(__file__).resolve().parents[2]


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture(scope="module")
def action_server(tmp_path_factory):
    """The action server as Rasa reaches it, and the lead database it writes to."""
    database_url = f"sqlite:///{tmp_path_factory.mktemp('action-server') / 'leads.db'}"
    port, token = _free_port(), secrets.token_urlsafe(32)
    env = {
        **os.environ,
        "PYTHONPATH": os.pathsep.join([str(ROOT / "src"), str(ROOT)]),
        "DATABASE_URL": database_url,
        "ACTION_SERVER_TOKEN": token,
        "LEADQUAL_VAR_DIR": str(tmp_path_factory.mktemp("var")),
    }
    command = [sys.executable, "-m", "actions.server", "--host", "127.0.0.1", "--port", str(port)]
    server = subprocess.Popen(
        command, cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, start_new_session=True
    )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 180
        while True:
            if server.poll() is not None:
                pytest.fail(f"the action server exited: {server.stderr.read().decode()[-2000:]}")
            try:
                if httpx.get(f"{url}/health", timeout=2).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            if time.monotonic() > deadline:
                pytest.fail("the action server did not answer /health within 180 s")
            time.sleep(0.5)
        store = LeadStore.from_url(database_url)
        yield url, token, store
        store.engine.dispose()
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        server.wait(timeout=30)


def _call(action_server, action: str, sender: str, slots: dict, intent: str = "inform", entities=()) -> httpx.Response:
    url, token, _ = action_server
    tracker = {
        "sender_id": sender,
        "slots": slots,
        "latest_message": {"text": "", "intent": {"name": intent}, "entities": list(entities)},
        "events": [],
        "active_loop": {},
        "latest_action_name": "action_listen",
    }
    body = {"next_action": action, "sender_id": sender, "tracker": tracker, "domain": DOMAIN, "version": "3.6.21"}
    return httpx.post(f"{url}/webhook", json=body, headers={"Authorization": f"Bearer {token}"}, timeout=60)


def _responses(response: httpx.Response) -> list[str]:
    assert response.status_code == 200, response.text[:300]
    return [message["response"] for message in response.json()["responses"]]


def test_a_crafted_sql_tier_for_an_mql_lead_lists_no_times_and_books_nothing(action_server):
    _, _, store = action_server
    store.record_decision("mql-visitor", "mql", 40, ["score 40"], [])
    claimed = {"lead_tier": "sql", "assigned_rep": "priya.shah"}
    offered = _call(action_server, "action_offer_meeting", "mql-visitor", claimed)
    assert _responses(offered) == ["utter_cannot_book_yet"]
    assert not any(message["buttons"] for message in offered.json()["responses"])

    pick = [{"entity": "slot_start", "value": "2030-01-07T09:00:00+00:00"}]
    booked = _call(action_server, "action_book_meeting", "mql-visitor", claimed, "choose_slot", pick)
    assert _responses(booked) == ["utter_cannot_book_yet"] and store.meetings("mql-visitor") == []


@pytest.mark.parametrize("payload", ["0001-01-01T00:00:00+14:00", "9999-12-31T23:59:59-14:00", "garbage"])
def test_a_hostile_payload_date_gets_a_polite_reply_from_the_server(action_server, payload):
    _, _, store = action_server
    sender = f"sql-visitor-{secrets.token_hex(4)}"
    for slot, fields in SQL_ANSWERS.items():
        store.record_answer(sender, slot, "…", fields)
    store.record_decision(sender, "sql", 90, ["score 90"], [])
    first = _call(action_server, "action_offer_meeting", sender, {"lead_tier": "sql"})
    assert _responses(first)[-1] == "utter_offer_slots"

    # The slots Rasa would hold after the offer (assigned_rep, offered_slots), as Rasa sends them.
    slots = {"lead_tier": "sql", **{e["name"]: e["value"] for e in first.json()["events"] if e["event"] == "slot"}}
    pick = [{"entity": "slot_start", "value": payload}]
    again = _call(action_server, "action_book_meeting", sender, slots, "choose_slot", pick)
    assert _responses(again) == ["utter_slot_not_understood", "utter_offer_slots"]
    shown = [b["payload"] for b in first.json()["responses"][-1]["buttons"]]
    assert [b["payload"] for b in again.json()["responses"][-1]["buttons"]] == shown  # the current offer again
    assert store.meetings(sender) == []
