"""Many scripted visitors at once against the production profile while its parts fail: one Rasa
replica killed, one action server killed, PostgreSQL restarted, each after the visitors have
sent a share of their messages. Then count what the lead database and the CRM receiver hold.
tests/production/test_faults.py runs it small; bench/production_load.py runs 200 visitors."""

from __future__ import annotations

import asyncio
import shutil
import subprocess
import time
from dataclasses import dataclass, field

import httpx
from sqlalchemy import text

from tests.support.production_stack import ProductionStack, wait_for
from tests.support.scripted_visitor import Outcome, Profile, ScriptedVisitor

# Every question the scripted visitor is asked: the qualification's, and the country, since its
# client sends no time zone (the industry too, in North America, where it can change the rep).
QUESTIONS = {"need", "timeline", "authority", "budget", "company", "company_size", "person_name", "email", "country"}


class CannotRestartPostgres(RuntimeError):
    pass


def restart_postgres() -> None:
    """The machine's PostgreSQL server, restarted (Debian's cluster tools)."""
    tool = shutil.which("pg_ctlcluster")
    clusters = subprocess.run(["pg_lsclusters", "-h"], capture_output=True, text=True) if tool else None
    if not tool or not clusters or not clusters.stdout.strip():
        raise CannotRestartPostgres("pg_ctlcluster and pg_lsclusters are needed to restart PostgreSQL")
    version, name = clusters.stdout.split()[:2]
    subprocess.run([tool, version, name, "restart"], check=True, timeout=120)


@dataclass
class LoadReport:
    outcomes: list[Outcome]
    faults: list[str]
    seconds: float
    answered: dict[str, set[str]] = field(default_factory=dict)  # visitor → questions stored
    answers_lost: dict[str, set[str]] = field(default_factory=dict)  # visitor → questions missing
    meetings_per_visitor: dict[str, int] = field(default_factory=dict)
    crm_messages: int = 0
    crm_deliveries: int = 0
    crm_distinct_keys: int = 0
    crm_without_key: int = 0
    outbox_not_sent: int = 0

    @property
    def booked(self) -> int:
        return sum(outcome.booked for outcome in self.outcomes)

    @property
    def double_bookings(self) -> int:
        return sum(count - 1 for count in self.meetings_per_visitor.values() if count > 1)

    @property
    def leads_stored(self) -> int:
        return sum(1 for slots in self.answered.values() if slots)

    @property
    def closed(self) -> int:
        return sum(outcome.closed and not outcome.booked for outcome in self.outcomes)

    def lines(self) -> list[str]:
        latencies = sorted(latency for outcome in self.outcomes for latency in outcome.latencies)
        messages = sum(outcome.messages for outcome in self.outcomes)
        p95 = 1000 * latencies[int(0.95 * (len(latencies) - 1))] if latencies else float("nan")
        return [
            f"conversations {len(self.outcomes)}, booked {self.booked}, closed without a booking {self.closed}, "
            f"leads stored {self.leads_stored}",
            f"answers lost {sum(len(missing) for missing in self.answers_lost.values())}"
            f"{''.join(f' ({sender}: {sorted(missing)})' for sender, missing in self.answers_lost.items())}, "
            f"double bookings {self.double_bookings}, messages {messages} "
            f"({sum(outcome.failures for outcome in self.outcomes)} written again after a failure)",
            f"faults: {', '.join(self.faults) or 'none'}; {self.seconds:.0f} s, "
            f"{messages / self.seconds:.1f} msg/s, p95 {p95:.0f} ms",
            f"CRM messages {self.crm_messages}, deliveries {self.crm_deliveries}, distinct keys "
            f"{self.crm_distinct_keys}, duplicate deliveries {self.crm_deliveries - self.crm_distinct_keys}, "
            f"without a key {self.crm_without_key}, outbox not sent {self.outbox_not_sent}",
        ]


async def _when(condition, interval: float = 0.5) -> None:
    while not condition():
        await asyncio.sleep(interval)


def answered_slots(stack: ProductionStack, senders: list[str]) -> dict[str, set[str]]:
    """The questions each visitor's stored answers cover (an answer kept as uncertain counts)."""
    given: dict[str, set[str]] = {sender: set() for sender in senders}
    with stack.leads.connect() as connection:
        rows = connection.execute(
            text(
                "select l.visitor_id, a.slot from lead_answers a join leads l on l.id = a.lead_id "
                "where l.visitor_id = any(:senders) and a.status in ('ok', 'uncertain')"
            ),
            {"senders": senders},
        )
        for sender, slot in rows:
            given[sender].add(slot)
    return given


def run_load(stack: ProductionStack, visitors: int, faults: bool = True, first: int = 0) -> LoadReport:
    scripted = [ScriptedVisitor(stack.chat_url, Profile(first + n), stack.env) for n in range(visitors)]
    injected: list[str] = []

    def sent() -> int:
        return sum(visitor.outcome.messages for visitor in scripted)

    async def inject() -> None:
        await _when(lambda: sent() >= visitors * 2)
        stack.kill("rasa-1")
        injected.append("rasa-1 killed")
        await _when(lambda: sent() >= visitors * 4)
        stack.kill("actions-1")
        injected.append("actions-1 killed")
        await _when(lambda: sent() >= visitors * 6)
        await asyncio.to_thread(restart_postgres)
        injected.append("postgres restarted")

    async def run() -> list[Outcome]:
        limits = httpx.Limits(max_connections=visitors + 10)
        async with httpx.AsyncClient(timeout=180, limits=limits) as client:
            fault_task = asyncio.create_task(inject()) if faults else None
            outcomes = await asyncio.gather(*(visitor.run(client) for visitor in scripted))
            if fault_task is not None:
                if not fault_task.done():
                    fault_task.cancel()
                try:
                    await fault_task
                except asyncio.CancelledError:
                    pass
            return outcomes

    started = time.monotonic()
    outcomes = asyncio.run(run())
    report = LoadReport(outcomes, injected, time.monotonic() - started)
    senders = [outcome.sender for outcome in outcomes]
    given = report.answered = answered_slots(stack, senders)
    with stack.leads.connect() as connection:
        holding = connection.execute(
            text(
                "select l.visitor_id, count(*) from meetings m join leads l on l.id = m.lead_id "
                "where l.visitor_id = any(:senders) and m.status = 'booked' group by l.visitor_id"
            ),
            {"senders": senders},
        ).all()
    report.answers_lost = {sender: QUESTIONS - slots for sender, slots in given.items() if QUESTIONS - slots}
    report.meetings_per_visitor = dict(holding)

    def outbox() -> list[tuple[str, str]]:
        with stack.leads.connect() as connection:
            return connection.execute(text("select kind, status from outbox")).all()

    wait_for(lambda: all(status == "sent" for _, status in outbox()), timeout=180)
    rows = outbox()
    report.outbox_not_sent = sum(status != "sent" for _, status in rows)
    report.crm_messages = sum(kind == "crm" for kind, _ in rows)
    keys = [key for key, _ in stack.crm.deliveries]
    report.crm_deliveries = len(keys)
    report.crm_without_key = keys.count(None)
    report.crm_distinct_keys = len({key for key in keys if key is not None}) + report.crm_without_key
    return report
