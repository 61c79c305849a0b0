"""Speed to lead: minutes from a lead becoming an SQL to its rep's first decision (accept or
reject) on the meeting, per rep, with SLA breaches. A meeting still undecided counts as a breach
once the SLA has passed, because waiting is exactly what the SLA is about.

Beside these wall-clock figures, each rep's steps of the working-time SLA (config/sla.yml, from
the handoff audit): reminders sent to them, and meetings that lapsed with them (re-routed away
or escalated to the manager). A rep who lost every meeting that way still has a row."""

from __future__ import annotations

from collections import defaultdict
from datetime import datetime, timedelta
from statistics import median
from typing import Any

from sqlalchemy import func, select

from leaddb import LeadStore
from leaddb.leads import Lead, StageTransition
from leaddb.meetings import HandoffAudit, Meeting

DEFAULT_SLA_MINUTES = 5
# Buckets of the distribution, in minutes (upper bounds; the last is open).
BUCKETS = ((5, "≤ 5 min"), (15, "5–15 min"), (60, "15–60 min"), (240, "1–4 h"), (None, "> 4 h"))


def speed_to_lead(
    store: LeadStore,
    now: datetime,
    since: datetime | None = None,
    until: datetime | None = None,
    sla_minutes: int = DEFAULT_SLA_MINUTES,
) -> dict[str, Any]:
    with store.session() as session:
        became_sql = (
            select(StageTransition.lead_id, func.min(StageTransition.created_at).label("at"))
            .where(StageTransition.to_stage == "sql")
            .group_by(StageTransition.lead_id)
            .subquery()
        )
        first_meeting = select(Meeting.lead_id, func.min(Meeting.id).label("id")).group_by(Meeting.lead_id).subquery()
        statement = (
            select(Meeting.rep_id, became_sql.c.at, Meeting.decided_at)
            .join(first_meeting, first_meeting.c.id == Meeting.id)
            .join(became_sql, became_sql.c.lead_id == Meeting.lead_id)
            .join(Lead, Lead.id == Meeting.lead_id)
        )
        if since is not None:
            statement = statement.where(Lead.created_at >= since)
        if until is not None:
            statement = statement.where(Lead.created_at < until)
        rows = session.execute(statement).all()
        steps = (
            select(HandoffAudit.rep_id, HandoffAudit.action, func.count())
            .join(Lead, Lead.id == HandoffAudit.lead_id)
            .where(
                HandoffAudit.meeting_id.is_not(None),
                HandoffAudit.rep_id.is_not(None),
                HandoffAudit.action.in_(("sla_reminder", "sla_rerouted", "sla_escalated")),
            )
            .group_by(HandoffAudit.rep_id, HandoffAudit.action)
        )
        if since is not None:
            steps = steps.where(Lead.created_at >= since)
        if until is not None:
            steps = steps.where(Lead.created_at < until)
        sla_steps = session.execute(steps).all()
    sla = timedelta(minutes=sla_minutes)
    per_rep: dict[str, dict[str, Any]] = defaultdict(
        lambda: {"decided": [], "waiting": 0, "breaches": 0, "reminders": 0, "lapses": 0}
    )
    for rep_id, action, count in sla_steps:
        per_rep[rep_id]["reminders" if action == "sla_reminder" else "lapses"] += count
    buckets = dict.fromkeys((label for _, label in BUCKETS), 0)
    for rep_id, sql_at, decided_at in rows:
        rep = per_rep[rep_id]
        if decided_at is None:
            rep["waiting"] += 1
            rep["breaches"] += now - sql_at > sla
            continue
        minutes = (decided_at - sql_at) / timedelta(minutes=1)
        rep["decided"].append(minutes)
        rep["breaches"] += minutes > sla_minutes
        buckets[next(label for bound, label in BUCKETS if bound is None or minutes <= bound)] += 1
    return {
        "sla_minutes": sla_minutes,
        "distribution": [{"bucket": label, "leads": count} for label, count in buckets.items()],
        "reps": [
            {
                "rep_id": rep_id,
                "decided": len(rep["decided"]),
                "waiting": rep["waiting"],
                "median_minutes": round(median(rep["decided"]), 1) if rep["decided"] else None,
                "sla_breaches": rep["breaches"],
                "sla_reminders": rep["reminders"],
                "sla_lapses": rep["lapses"],
            }
            for rep_id, rep in sorted(per_rep.items())
        ],
    }
