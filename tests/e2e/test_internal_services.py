"""Internal services stay inside (issue 9, item 2), on the real running stack: no process of the
stack listens on a public interface, the action server answers only Rasa (which holds the
shared secret), and Rasa's HTTP API, where a test turns it on, needs its token."""

from __future__ import annotations

import ipaddress
import os
import uuid
from pathlib import Path

import httpx
import pytest

from tests.e2e.test_rest_conversation import _say

pytestmark = pytest.mark.e2e

PROC = Path("/proc")
TCP_LISTEN = "0A"


def _process_group(pgid: int) -> list[int]:
    """Every live process in the group: the launcher starts each service in a session of its own,
    so this is the service and whatever it forked (Sanic workers, TensorFlow helpers)."""
    pids = []
    for entry in PROC.iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:  # it ended meanwhile
            continue
        fields = stat[stat.rindex(")") + 2 :].split()  # after "pid (comm) "
        if int(fields[2]) == pgid:  # state, ppid, pgrp, ...
            pids.append(int(entry.name))
    return pids


def _socket_inodes(pid: int) -> set[str]:
    inodes = set()
    try:
        descriptors = list((PROC / str(pid) / "fd").iterdir())
    except OSError:
        return inodes
    for descriptor in descriptors:
        try:
            target = os.readlink(descriptor)
        except OSError:
            continue
        if target.startswith("socket:["):
            inodes.add(target[len("socket:[") : -1])
    return inodes


def _address(hex_address: str) -> ipaddress.IPv4Address | ipaddress.IPv6Address:
    raw = bytes.fromhex(hex_address)
    # /proc/net/tcp* print the address as 32-bit words in host (little-endian) order.
    swapped = b"".join(raw[i : i + 4][::-1] for i in range(0, len(raw), 4))
    return ipaddress.ip_address(swapped)


def _listening_sockets() -> dict[str, tuple[ipaddress.IPv4Address | ipaddress.IPv6Address, int]]:
    """inode -> (address, port) of every TCP socket in LISTEN state on this machine."""
    listening = {}
    for table in ("tcp", "tcp6"):
        path = PROC / "net" / table
        if not path.exists():
            continue
        for line in path.read_text().splitlines()[1:]:
            fields = line.split()
            local, state, inode = fields[1], fields[3], fields[9]
            if state == TCP_LISTEN:
                hex_address, hex_port = local.split(":")
                listening[inode] = (_address(hex_address), int(hex_port, 16))
    return listening


def _is_loopback(address: ipaddress.IPv4Address | ipaddress.IPv6Address) -> bool:
    mapped = getattr(address, "ipv4_mapped", None)
    return address.is_loopback or bool(mapped and mapped.is_loopback)


def test_the_address_decoding_reads_the_kernel_format():
    # Guard against a check that cannot fail: 0.0.0.0 and :: must not count as loopback.
    assert _address("0100007F") == ipaddress.ip_address("127.0.0.1")
    assert not _is_loopback(_address("00000000"))
    assert _is_loopback(_address("00000000000000000000000001000000"))  # ::1
    assert not _is_loopback(_address("00000000000000000000000000000000"))  # ::
    assert _is_loopback(_address("0000000000000000FFFF00000100007F"))  # ::ffff:127.0.0.1


def test_every_listening_socket_of_the_stack_is_on_loopback(running_stack):
    listening = _listening_sockets()
    seen: dict[str, list[str]] = {}
    for name, process in running_stack.processes.items():
        for pid in _process_group(process.pid):
            for inode in _socket_inodes(pid) & listening.keys():
                address, port = listening[inode]
                seen.setdefault(name, []).append(f"{address}:{port}")
    env = running_stack.env
    ports = {name: {int(a.rsplit(":", 1)[1]) for a in addresses} for name, addresses in seen.items()}
    # The check saw the servers it is about (so it cannot pass by seeing nothing).
    assert int(env["ACTION_SERVER_PORT"]) in ports.get("actions", set()), seen
    assert int(env["RASA_PORT"]) in ports.get("rasa", set()), seen
    assert int(env["WEB_PORT"]) in ports.get("web", set()), seen
    public = {
        name: [a for a in addresses if not _is_loopback(ipaddress.ip_address(a.rsplit(":", 1)[0]))]
        for name, addresses in seen.items()
    }
    assert {name: addresses for name, addresses in public.items() if addresses} == {}


def _action_call(sender: str) -> dict:
    """What Rasa posts to the action server, for a harmless action (it only utters)."""
    return {
        "next_action": "action_explain_why",
        "sender_id": sender,
        "tracker": {"sender_id": sender, "slots": {"requested_slot": "budget"}, "latest_message": {}, "events": []},
        "domain": {},
        "version": "3.6.21",
    }


@pytest.fixture(scope="module")
def action_server(running_stack) -> str:
    return f"http://127.0.0.1:{running_stack.env['ACTION_SERVER_PORT']}"


@pytest.mark.parametrize(
    "headers",
    [
        {},
        {"Authorization": "Bearer"},
        {"Authorization": "Bearer wrong-token"},
        {"Authorization": "Basic dXNlcjpwYXNz"},
        {"Authorization": "Bearer ñ-not-ascii".encode()},
    ],
    ids=["none", "empty", "wrong", "basic", "non-ascii"],
)
def test_the_action_server_refuses_a_webhook_call_without_the_secret(action_server, headers):
    sender = f"visitor-{uuid.uuid4().hex[:8]}"
    response = httpx.post(f"{action_server}/webhook", json=_action_call(sender), headers=headers, timeout=30)
    assert response.status_code == 401, response.text
    assert "ACTION_SERVER_TOKEN" in response.json()["error"]
    assert "events" not in response.json() and "responses" not in response.json()


def test_the_action_server_lists_no_actions_without_the_secret(action_server):
    assert httpx.get(f"{action_server}/actions", timeout=30).status_code == 401


def test_the_action_server_runs_an_action_for_the_holder_of_the_secret(running_stack, action_server):
    token = running_stack.env["ACTION_SERVER_TOKEN"]
    sender = f"visitor-{uuid.uuid4().hex[:8]}"
    response = httpx.post(
        f"{action_server}/webhook",
        json=_action_call(sender),
        headers={"Authorization": f"Bearer {token}"},
        timeout=30,
    )
    assert response.status_code == 200, response.text
    assert response.json()["responses"][0]["response"] == "utter_why_budget"
    assert httpx.get(f"{action_server}/health", timeout=30).status_code == 200  # the probe needs no secret


def test_the_development_secret_is_generated_and_kept_private(running_stack):
    path = Path(running_stack.env["LEADQUAL_VAR_DIR"]) / "action_server_token"
    assert path.read_text().strip() == running_stack.env["ACTION_SERVER_TOKEN"]
    assert path.stat().st_mode & 0o777 == 0o600
    assert len(running_stack.env["ACTION_SERVER_TOKEN"]) >= 32


def test_rasa_sends_the_secret_so_conversations_still_run_actions(running_stack):
    # The greeting is a custom action (action_greet): a reply means Rasa was let in.
    sender = f"visitor-{uuid.uuid4().hex[:8]}"
    replies = _say(running_stack, sender, "hello!")
    assert any("solve" in reply or "problem" in reply for reply in replies), replies


def test_rasas_http_api_where_on_needs_its_token(running_stack):
    rasa = f"http://127.0.0.1:{running_stack.env['RASA_PORT']}"
    sender = f"visitor-{uuid.uuid4().hex[:8]}"
    _say(running_stack, sender, "hi")
    assert httpx.get(f"{rasa}/conversations/{sender}/tracker", timeout=30).status_code == 401
    appended = httpx.post(
        f"{rasa}/conversations/{sender}/tracker/events",
        json={"event": "slot", "name": "lead_tier", "value": "sql"},
        timeout=30,
    )
    assert appended.status_code == 401
    token = {"token": running_stack.env["RASA_API_TOKEN"]}
    tracker = httpx.get(f"{rasa}/conversations/{sender}/tracker", params=token, timeout=30).json()
    assert tracker["slots"]["lead_tier"] is None


def test_the_stacks_databases_and_logs_are_private_and_hold_no_email(running_stack):
    """Issue 9, item 7, on the running stack: Rasa's tracker store and the lead database are
    0600 (their -wal/-shm files too), the logs 0640 at most, and an email typed in the chat is
    in no log."""
    email = f"jane.{uuid.uuid4().hex[:6]}@example-corp.test"
    _say(running_stack, f"visitor-{uuid.uuid4().hex[:8]}", f"hello, my email is {email}")
    var_dir = Path(running_stack.env["LEADQUAL_VAR_DIR"])
    databases = [path for path in var_dir.iterdir() if path.name.startswith(("leads.db", "conversations.db"))]
    assert {"leads.db", "conversations.db"} <= {path.name for path in databases}
    assert {path.name: path.stat().st_mode & 0o777 for path in databases} == dict.fromkeys(
        (path.name for path in databases), 0o600
    )
    logs = sorted((var_dir / "logs").glob("*.log"))
    assert {path.name for path in logs} >= {"rasa.log", "actions.log", "web.log"}
    for log in logs:
        assert log.stat().st_mode & 0o137 == 0, f"{log.name} is {oct(log.stat().st_mode & 0o777)}"
        assert email not in log.read_text(errors="replace"), log.name
