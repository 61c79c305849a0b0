"""Database helpers shared by routing, booking and nurture (SQLite and PostgreSQL)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session

from leaddb.leads import Lead
from leaddb.locks import NamedLock
from leaddb.meetings import HandoffAudit
from leaddb.store import move_stage  # noqa: F401  (re-exported for booking and nurture)

_INSERTS = {"postgresql": postgresql_insert, "sqlite": sqlite_insert}


def insert_unless_present(session: Session, model, values: dict[str, Any], key: list[str]) -> None:
    """INSERT ... ON CONFLICT DO NOTHING: safe when two transactions add the same row at once."""
    dialect = session.get_bind().dialect.name
    if dialect not in _INSERTS:
        raise RuntimeError(f"the lead database must be SQLite or PostgreSQL, not {dialect}")
    session.execute(_INSERTS[dialect](model).values(**values).on_conflict_do_nothing(index_elements=key))


def take_lock(session: Session, name: str) -> None:
    """Hold the lock `name` until the session's transaction ends.

    The UPDATE takes a row lock on PostgreSQL and the database write lock on SQLite, so a
    second transaction asking for the same lock waits for the first to commit."""
    insert_unless_present(session, NamedLock, {"name": name, "times_taken": 0}, ["name"])
    session.execute(update(NamedLock).where(NamedLock.name == name).values(times_taken=NamedLock.times_taken + 1))


def lead_for(session: Session, visitor_id: str) -> Lead:
    """The lead of this visitor, created if this is the first we hear of them."""
    insert_unless_present(session, Lead, {"visitor_id": visitor_id, "stage": "visitor"}, ["visitor_id"])
    return session.execute(select(Lead).where(Lead.visitor_id == visitor_id)).scalar_one()


def write_audit(
    session: Session,
    lead_id: int,
    action: str,
    actor: str,
    now: datetime,
    *,
    rep_id: str | None = None,
    to_rep_id: str | None = None,
    meeting_id: int | None = None,
    person_request_id: int | None = None,
    reason: str | None = None,
) -> None:
    """One row of the handoff audit, in the caller's transaction (see leaddb.meetings.HandoffAudit)."""
    session.add(
        HandoffAudit(
            lead_id=lead_id,
            action=action,
            actor=actor[:64],
            rep_id=rep_id,
            to_rep_id=to_rep_id,
            meeting_id=meeting_id,
            person_request_id=person_request_id,
            reason=reason,
            created_at=now,
        )
    )
