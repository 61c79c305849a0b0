"""Conversations under load while the machine's parts fail underneath them, at a size that keeps
CI quick (bench/production_load.py runs the same with 200 visitors): one Rasa replica killed,
one action server killed, PostgreSQL restarted. Every visitor books, every answer is in the
lead database, nobody holds two meetings, and every outbox message reaches its receiver, which
deduplicates by the Idempotency-Key the outbox sends."""

from __future__ import annotations

import asyncio
import os
import shutil
import subprocess

import httpx
import pytest
from sqlalchemy import text

from tests.support.production_stack import ProductionStack, http_ok, wait_for
from tests.support.scripted_visitor import Profile, ScriptedVisitor

pytestmark = pytest.mark.production

VISITORS = 12
QUESTIONS = {"need", "timeline", "authority", "budget", "company", "company_size", "person_name", "email"}


def restart_postgres() -> None:
    """The machine's PostgreSQL server, restarted (Debian's cluster tools)."""
    tool = shutil.which("pg_ctlcluster")
    clusters = subprocess.run(["pg_lsclusters", "-h"], capture_output=True, text=True) if tool else None
    if not tool or not clusters or not clusters.stdout.strip():
        message = "pg_ctlcluster is needed to restart PostgreSQL"
        pytest.fail(message) if os.getenv("CI") else pytest.skip(message)
    version, name = clusters.stdout.split()[:2]
    subprocess.run([tool, version, name, "restart"], check=True, timeout=120)


async def _when(condition, interval: float = 0.5) -> None:
    while not condition():
        await asyncio.sleep(interval)


def test_visitors_complete_while_a_replica_an_action_server_and_postgres_go_down(production_stack: ProductionStack):
    stack = production_stack
    visitors = [ScriptedVisitor(stack.chat_url, Profile(1000 + n)) for n in range(VISITORS)]
    sent = lambda: sum(visitor.outcome.messages for visitor in visitors)  # noqa: E731
    injected: list[str] = []

    async def faults() -> None:
        await _when(lambda: sent() >= VISITORS * 2)
        stack.kill("rasa-1")
        injected.append("rasa-1 killed")
        await _when(lambda: sent() >= VISITORS * 4)
        stack.kill("actions-1")
        injected.append("actions-1 killed")
        await _when(lambda: sent() >= VISITORS * 6)
        await asyncio.to_thread(restart_postgres)
        injected.append("postgres restarted")

    async def run() -> list:
        async with httpx.AsyncClient(timeout=120) as client:
            fault_task = asyncio.create_task(faults())
            outcomes = await asyncio.gather(*(visitor.run(client) for visitor in visitors))
            await asyncio.wait_for(fault_task, timeout=5)
            return outcomes

    outcomes = asyncio.run(run())

    assert injected == ["rasa-1 killed", "actions-1 killed", "postgres restarted"]
    not_booked = [outcome.transcript for outcome in outcomes if not outcome.booked]
    assert not not_booked, not_booked[:2]
    senders = [outcome.sender for outcome in outcomes]
    with stack.leads.connect() as connection:
        answered = connection.execute(
            text(
                "select l.visitor_id, a.slot from lead_answers a join leads l on l.id = a.lead_id "
                "where l.visitor_id = any(:senders) and a.status in ('ok', 'uncertain')"
            ),
            {"senders": senders},
        ).all()
        holding = connection.execute(
            text(
                "select l.visitor_id, count(*) from meetings m join leads l on l.id = m.lead_id "
                "where l.visitor_id = any(:senders) and m.status = 'booked' group by l.visitor_id"
            ),
            {"senders": senders},
        ).all()
    by_visitor: dict[str, set[str]] = {sender: set() for sender in senders}
    for sender, slot in answered:
        by_visitor[sender].add(slot)
    assert {sender: slots for sender, slots in by_visitor.items() if slots != QUESTIONS} == {}  # no answer lost
    assert dict(holding) == {sender: 1 for sender in senders}  # one meeting each, none twice
    # The killed processes were started again by the launcher.
    assert wait_for(lambda: http_ok(f"http://127.0.0.1:{int(stack.env['RASA_PORT']) + 1}/"), timeout=180)

    # Every CRM message of these bookings delivered, each counted once by its key.
    def crm_rows() -> list[tuple[int, str]]:
        with stack.leads.connect() as connection:
            return connection.execute(text("select id, status from outbox where kind = 'crm'")).all()

    assert wait_for(lambda: crm_rows() and all(status == "sent" for _, status in crm_rows()), timeout=120), crm_rows()
    keys = [key for key, _ in stack.crm.deliveries]
    assert None not in keys, "a CRM delivery without an Idempotency-Key"
    assert len(set(keys)) == len(crm_rows())
