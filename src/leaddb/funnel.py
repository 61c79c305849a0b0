"""Conversion and velocity between lifecycle stages, from the stored stage transitions.

    python -m leaddb funnel [--since 2026-01-01]

For each stage: how many leads ever reached it, the share of the previous stage's leads that
did, and the median time it took them to get there from the previous stage.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from statistics import median

from sqlalchemy import select

from .leads import Lead, StageTransition
from .store import LeadStore

# The sales funnel in order; other stages (nurture, stopped, rejected) branch off it.
FUNNEL = ("visitor", "mql", "sql", "meeting_booked", "accepted")


@dataclass(frozen=True)
class FunnelStep:
    stage: str
    leads: int
    conversion: float | None  # share of the previous step's leads that reached this stage
    median_hours: float | None  # from reaching the previous stage to reaching this one


def funnel(store: LeadStore, since: datetime | None = None) -> list[FunnelStep]:
    reached: dict[str, dict[int, datetime]] = {stage: {} for stage in FUNNEL}
    with store.session() as session:
        leads = select(Lead.id, Lead.created_at)
        if since is not None:
            leads = leads.where(Lead.created_at >= since)
        for lead_id, created_at in session.execute(leads):
            reached["visitor"][lead_id] = created_at
        rows = session.execute(
            select(StageTransition.lead_id, StageTransition.to_stage, StageTransition.created_at).order_by(
                StageTransition.id
            )
        )
        for lead_id, stage, at in rows:
            if stage in reached and lead_id in reached["visitor"]:
                reached[stage].setdefault(lead_id, at)
    # A lead that skipped a step (an SQL is never an MQL first) still counts as having passed it.
    for earlier, later in reversed(list(zip(FUNNEL, FUNNEL[1:]))):
        for lead_id, at in reached[later].items():
            reached[earlier].setdefault(lead_id, at)
    steps = []
    for index, stage in enumerate(FUNNEL):
        previous = reached[FUNNEL[index - 1]] if index else None
        hours = [
            (at - previous[lead_id]).total_seconds() / 3600
            for lead_id, at in reached[stage].items()
            if previous and lead_id in previous
        ]
        steps.append(
            FunnelStep(
                stage,
                len(reached[stage]),
                len(reached[stage]) / len(previous) if previous else None,
                round(median(hours), 2) if hours else None,
            )
        )
    return steps
