"""Issue 9, item 7: an action that raises leaves no tracker, email or token in the action
server's answer (which Rasa logs) nor in its log. The real action server (`python -m
actions.server`) serves a test-only package whose one action logs and then raises with the
visitor's email in the message, as a real bug in an action would."""

from __future__ import annotations

import os
import secrets
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import httpx
import pytest

from actions.server import sender_hash
from tests.support.servers import free_port

ROOT = Path(__file__).resolve().parents[2]
EMAIL = "jane.leaky@example-corp.test"
LINK_TOKEN = "tok3nV4lue-" + "q" * 20
FAILING_ACTIONS = (
    """
import logging

from rasa_sdk import Action

logger = logging.getLogger("failing_actions")


class ActionThatFails(Action):
    def name(self):
        return "action_that_fails"

    def run(self, dispatcher, tracker, domain):
        email = tracker.get_slot("email")
        logger.info("booking for %s, invite https://x.test/invite/1?token="""
    + LINK_TOKEN
    + """", email)
        raise RuntimeError(f"no calendar for {email}: {tracker.latest_message['text']}")
"""
)


@pytest.fixture(scope="module")
def failing_server(tmp_path_factory):
    package_dir = tmp_path_factory.mktemp("failing-actions")
    (package_dir / "failing_actions").mkdir()
    (package_dir / "failing_actions" / "__init__.py").write_text(textwrap.dedent(FAILING_ACTIONS))
    port, token = free_port(), secrets.token_urlsafe(32)
    env = {
        **os.environ,
        "PYTHONPATH": os.pathsep.join([str(package_dir), str(ROOT / "src"), str(ROOT)]),
        "DATABASE_URL": f"sqlite:///{tmp_path_factory.mktemp('db') / 'leads.db'}",
        "ACTION_SERVER_TOKEN": token,
        "LEADQUAL_VAR_DIR": str(tmp_path_factory.mktemp("var")),
    }
    log_path = package_dir / "actions.log"
    command = [sys.executable, "-m", "actions.server", "--port", str(port), "--actions", "failing_actions"]
    with open(log_path, "wb") as log:
        server = subprocess.Popen(
            command, cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True
        )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 120
        while True:
            if server.poll() is not None:
                pytest.fail(f"the action server exited: {log_path.read_text()[-2000:]}")
            try:
                if httpx.get(f"{url}/health", timeout=2).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            if time.monotonic() > deadline:
                pytest.fail("the action server did not answer /health within 120 s")
            time.sleep(0.3)
        yield url, token, log_path
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        server.wait(timeout=30)


def test_a_failing_action_answers_and_logs_no_tracker_and_no_email(failing_server):
    url, token, log_path = failing_server
    sender = f"visitor-{secrets.token_hex(6)}"
    message = f"I am Jane, write to {EMAIL}"
    tracker = {
        "sender_id": sender,
        "slots": {"email": EMAIL, "person_name": "Jane Leaky"},
        "latest_message": {"text": message, "intent": {"name": "inform"}, "entities": []},
        "events": [{"event": "user", "text": message}],
        "active_loop": {},
        "latest_action_name": "action_listen",
    }
    body = {
        "next_action": "action_that_fails",
        "sender_id": sender,
        "tracker": tracker,
        "domain": {},
        "version": "3.6.21",
    }
    response = httpx.post(f"{url}/webhook", json=body, headers={"Authorization": f"Bearer {token}"}, timeout=30)

    assert response.status_code == 500
    assert response.json() == {"error": "the action failed", "action_name": "action_that_fails"}
    time.sleep(0.5)  # the log line is written after the answer
    log = log_path.read_text(errors="replace")
    for secret in (EMAIL, "Jane Leaky", "I am Jane", sender, LINK_TOKEN):
        assert secret not in log, f"{secret!r} in the log:\n{log}"
    # What the log does say: the action, the sender's hash and the exception's type.
    failure = [line for line in log.splitlines() if "action_that_fails failed" in line]
    assert failure and sender_hash(sender) in failure[0] and "RuntimeError" in failure[0], log
    assert "booking for <email>" in log and "token=<redacted>" in log, log
