"""A durable outbox: outbound messages are rows written with the business change they report,
and a worker delivers them, retrying with exponential backoff and jitter. A message that keeps
failing is parked (kept with its last error, listable, re-queueable) instead of retried forever.

Delivery is at least once: a worker that crashes after sending but before recording it sends
again when its claim runs out. Every message therefore goes out with an idempotency key that is
the same on every attempt (`idempotency_key`): webhooks carry it as the `Idempotency-Key`
header, emails as their `Message-ID`, so a receiver can keep the first and drop repeats.

Once a message is sent, the secrets it carried leave the stored payload (`without_tokens`):
a link's `token=` value and any `token` / `*_token` field become "[sent]". Pending and parked
messages keep them, since they still have to be delivered.
"""

from __future__ import annotations

import asyncio
import json
import logging
import random
import re
import time
import uuid
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import or_, select, update
from sqlalchemy.exc import InterfaceError, OperationalError
from sqlalchemy.orm import Session
from tenacity import retry, retry_if_exception_type, stop_after_delay, wait_exponential

from leaddb import LeadStore, utcnow
from leaddb.outbox import OutboxMessage

log = logging.getLogger(__name__)

KINDS = ("email", "webhook", "crm")
SCRUBBED = "[sent]"
# A token in a link's query string, e.g. the accept/reject links of a rep's booking email.
_TOKEN_IN_URL = re.compile(r"([?&][\w-]*token=)[^&#\s<>\"']+", re.IGNORECASE)

# A sender delivers one message (target, payload, idempotency key) or raises; any exception
# counts as a failed attempt.
Sender = Callable[[str, dict, str], Awaitable[None]]
# Namespace of the keys (uuid5), so they do not collide with other UUIDs a receiver sees.
_KEY_NAMESPACE = uuid.UUID("6f1c1a52-4a38-4d0e-9a51-0c8f3b0e2d17")


@dataclass(frozen=True)
class OutboxPolicy:
    max_attempts: int = 8  # then the message is parked
    first_retry: timedelta = timedelta(seconds=30)  # doubled after each failure ...
    max_retry: timedelta = timedelta(hours=1)  # ... up to this
    # Longer than one delivery may take (SMTP: 20 s per step, webhooks: 10 s), short enough
    # that a message whose worker died goes out again soon.
    claim_for: timedelta = timedelta(minutes=2)
    batch_size: int = 20


@dataclass(frozen=True)
class DeliveryReport:
    sent: int = 0
    retrying: int = 0
    parked: int = 0


def enqueue(session: Session, kind: str, target: str, payload: dict, now: datetime | None = None) -> OutboxMessage:
    """Add a message in the caller's transaction, so it exists exactly when the change it
    reports was committed."""
    if kind not in KINDS:
        raise ValueError(f"unknown outbox kind {kind!r} (expected one of {', '.join(KINDS)})")
    if not target:
        raise ValueError(f"an outbox {kind} message needs a target")
    # Fail now, in the caller's code, rather than in the worker.
    payload = json.loads(json.dumps(payload))
    now = now or utcnow()
    message = OutboxMessage(
        kind=kind, target=target, payload=payload, status="pending", attempts=0, next_attempt_at=now, created_at=now
    )
    session.add(message)
    session.flush()
    return message


def idempotency_key(message_id: int, created_at: datetime) -> str:
    """The message's key, derived from what never changes about its row: the id, and the time
    it was written (so a database restored or started afresh, which reuses ids, gives new keys)."""
    return str(uuid.uuid5(_KEY_NAMESPACE, f"outbox:{message_id}:{created_at.isoformat()}"))


def retry_delay(attempts: int, policy: OutboxPolicy, rng: random.Random) -> timedelta:
    """Exponential backoff with "equal jitter": between half and all of the doubled delay, so
    many messages failing together do not retry together."""
    ceiling = min(policy.first_retry * (2 ** (attempts - 1)), policy.max_retry)
    return ceiling / 2 + ceiling / 2 * rng.random()


async def deliver_due(
    db: LeadStore,
    senders: Mapping[str, Sender],
    now: datetime | None = None,
    policy: OutboxPolicy = OutboxPolicy(),
    rng: random.Random | None = None,
) -> DeliveryReport:
    """Deliver the messages that are due and have a sender; record each outcome.

    Each message is claimed just before it is sent, not the whole batch up front: a worker
    that dies (or loses its database) mid-round leaves at most one message waiting out its claim."""
    now = now or utcnow()
    rng = rng or random.Random()
    sent = retrying = parked = 0
    started = time.monotonic()
    for message_id in _due_ids(db, list(senders), now, policy):
        # The claim runs from when it is taken: a slow round must not hand out spent claims.
        claimed = _claim(db, message_id, now + timedelta(seconds=time.monotonic() - started), policy)
        if claimed is None:  # another worker took it first
            continue
        kind, target, payload, key = claimed
        try:
            await senders[kind](target, payload, key)
            error = None
        except Exception as exc:  # any failure of the outside system is retried, never lost
            error = f"{type(exc).__name__}: {exc}"[:2000]
        outcome = _record_outcome(db, message_id, error, now, policy, rng)
        sent += outcome == "sent"
        retrying += outcome == "pending"
        parked += outcome == "parked"
    return DeliveryReport(sent, retrying, parked)


async def run_worker(
    db: LeadStore,
    senders: Mapping[str, Sender],
    stop: asyncio.Event,
    policy: OutboxPolicy = OutboxPolicy(),
    poll_seconds: float = 5.0,
    housekeeping: Callable[[], Any] | None = None,
) -> None:
    """Deliver due messages until `stop` is set; start it beside the web or action server.

    `housekeeping`, when given, runs (in a thread) after each round: the retention purge
    (`leaddb.privacy.RetentionPurge.run_if_due`) and the SLA check (`handoff.sla.SlaWatch`),
    which decide themselves whether they are due; what it returns, when truthy, is logged."""
    while not stop.is_set():
        try:
            report = await deliver_due(db, senders, policy=policy)
            if report.parked:
                log.warning("outbox: %d message(s) parked after %d attempts", report.parked, policy.max_attempts)
        except Exception:  # the database being briefly away must not end the worker
            log.exception("outbox: delivery round failed")
        if housekeeping is not None:
            try:
                done = await asyncio.to_thread(housekeeping)
                if done:
                    log.info("housekeeping: %s", done)
            except Exception:
                log.exception("worker: housekeeping failed")
        try:
            await asyncio.wait_for(stop.wait(), timeout=poll_seconds)
        except asyncio.TimeoutError:
            pass


def parked_messages(db: LeadStore) -> list[dict[str, Any]]:
    with db.session() as session:
        rows = session.execute(
            select(OutboxMessage).where(OutboxMessage.status == "parked").order_by(OutboxMessage.id)
        ).scalars()
        return [_as_dict(row) for row in rows]


def outbox_message(db: LeadStore, message_id: int) -> dict[str, Any] | None:
    with db.session() as session:
        row = session.get(OutboxMessage, message_id)
        return _as_dict(row) if row else None


def requeue(db: LeadStore, message_id: int, now: datetime | None = None) -> bool:
    """Give a parked message a fresh set of attempts (after the receiver is fixed)."""
    with db.session() as session:
        result = session.execute(
            update(OutboxMessage)
            .where(OutboxMessage.id == message_id, OutboxMessage.status == "parked")
            .values(status="pending", attempts=0, next_attempt_at=now or utcnow(), claimed_until=None)
        )
        return result.rowcount == 1


def _claimable(now: datetime) -> tuple:
    return (
        OutboxMessage.status == "pending",
        OutboxMessage.next_attempt_at <= now,
        or_(OutboxMessage.claimed_until.is_(None), OutboxMessage.claimed_until < now),
    )


def _due_ids(db: LeadStore, kinds: list[str], now: datetime, policy: OutboxPolicy) -> list[int]:
    with db.session() as session:
        return list(
            session.execute(
                select(OutboxMessage.id)
                .where(OutboxMessage.kind.in_(kinds), *_claimable(now))
                .order_by(OutboxMessage.next_attempt_at, OutboxMessage.id)
                .limit(policy.batch_size)
            ).scalars()
        )


def _claim(db: LeadStore, message_id: int, now: datetime, policy: OutboxPolicy) -> tuple | None:
    """Claim one message with a conditional UPDATE, so two workers never send it at the same
    time; returns (kind, target, payload, idempotency key), or None when someone else has it."""
    with db.session() as session:
        result = session.execute(
            update(OutboxMessage)
            .where(OutboxMessage.id == message_id, *_claimable(now))
            .values(claimed_until=now + policy.claim_for)
        )
        if result.rowcount != 1:
            return None
        message = session.get(OutboxMessage, message_id)
        return message.kind, message.target, message.payload, idempotency_key(message.id, message.created_at)


# Recording a delivery that already happened must outlast a database restart (seconds), or
# the message goes out again when its claim runs out.
_retry_recording = retry(
    retry=retry_if_exception_type((OperationalError, InterfaceError)),
    stop=stop_after_delay(30),
    wait=wait_exponential(multiplier=0.2, max=3.0),
    reraise=True,
)


@_retry_recording
def _record_outcome(db: LeadStore, message_id: int, error: str | None, now: datetime, policy: OutboxPolicy, rng) -> str:
    with db.session() as session:
        message = session.get(OutboxMessage, message_id)
        message.attempts += 1
        message.claimed_until = None
        if error is None:
            message.status, message.sent_at = "sent", now
            message.payload = without_tokens(message.payload)
        else:
            message.last_error = error
            if message.attempts >= policy.max_attempts:
                message.status = "parked"
                log.warning("outbox: parked %s message %d to %s: %s", message.kind, message.id, message.target, error)
            else:
                message.next_attempt_at = now + retry_delay(message.attempts, policy, rng)
        return message.status


def without_tokens(value: Any) -> Any:
    """`value` with every token replaced by SCRUBBED: `token=...` in link query strings, and
    the values of fields named `token` or `..._token`."""
    if isinstance(value, dict):
        return {
            key: SCRUBBED if _is_token_field(key) and item is not None else without_tokens(item)
            for key, item in value.items()
        }
    if isinstance(value, list):
        return [without_tokens(item) for item in value]
    if isinstance(value, str):
        return _TOKEN_IN_URL.sub(lambda match: match.group(1) + SCRUBBED, value)
    return value


def _is_token_field(key: object) -> bool:
    return isinstance(key, str) and (key.lower() == "token" or key.lower().endswith("_token"))


def _as_dict(row: OutboxMessage) -> dict[str, Any]:
    return {column.name: getattr(row, column.name) for column in OutboxMessage.__table__.columns}
