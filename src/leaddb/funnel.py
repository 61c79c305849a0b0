"""Conversion and velocity between lifecycle stages, from the stored stage transitions.

    python -m leaddb funnel [--since 2026-01-01]

For each stage: how many leads reached it, the share of the previous stage's leads that also
reached this one, and the median time it took them to get there from the previous stage.
A lead counts at a stage only if a transition into that stage is stored: an SQL that was never
an MQL has not passed MQL, so MQL→SQL is "MQLs that became SQLs over MQLs".
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime, timedelta
from statistics import median
from urllib.parse import urlsplit

from sqlalchemy import select

from .events import Event
from .leads import Lead, StageTransition
from .meetings import LeadAssignment
from .store import LeadStore

# The sales funnel in order; other stages (nurture, stopped, rejected) branch off it.
FUNNEL = ("visitor", "mql", "sql", "meeting_booked", "accepted", "opportunity", "won")
GROUPINGS = ("week", "rep", "source", "landing")


@dataclass(frozen=True)
class FunnelStep:
    stage: str
    leads: int
    conversion: float | None  # share of the previous step's leads that reached this stage
    median_hours: float | None  # from reaching the previous stage to reaching this one


def funnel(store: LeadStore, since: datetime | None = None, until: datetime | None = None) -> list[FunnelStep]:
    """The funnel of the leads created in [since, until)."""
    return _steps(_reached(store, since, until)[0])


def funnel_by(
    store: LeadStore, by: str, since: datetime | None = None, until: datetime | None = None
) -> dict[str, list[FunnelStep]]:
    """One funnel per group: `week` (ISO week the lead was created, e.g. 2026-W05), `rep` (the
    rep the lead was last assigned to; "unassigned" when none), `source` (utm_source of the
    visitor's first tracked event, else the referrer's host, else "direct") or `landing` (the
    path of that first event). Leads without tracked events fall in "(not tracked)"."""
    if by not in GROUPINGS:
        raise ValueError(f"by must be one of {', '.join(GROUPINGS)}, got {by!r}")
    reached, groups = _reached(store, since, until, by)
    members: dict[str, set[int]] = defaultdict(set)
    for lead_id, group in groups.items():
        members[group].add(lead_id)
    return {
        group: _steps({stage: {i: at for i, at in leads.items() if i in ids} for stage, leads in reached.items()})
        for group, ids in sorted(members.items())
    }


def _reached(
    store: LeadStore, since: datetime | None, until: datetime | None, by: str | None = None
) -> tuple[dict[str, dict[int, datetime]], dict[int, str]]:
    reached: dict[str, dict[int, datetime]] = {stage: {} for stage in FUNNEL}
    groups: dict[int, str] = {}
    with store.session() as session:
        leads = select(Lead.id, Lead.created_at, Lead.visitor_id)
        if since is not None:
            leads = leads.where(Lead.created_at >= since)
        if until is not None:
            leads = leads.where(Lead.created_at < until)
        visitors: dict[str, int] = {}
        for lead_id, created_at, visitor_id in session.execute(leads):
            reached["visitor"][lead_id] = created_at
            visitors[visitor_id] = lead_id
            if by == "week":
                year, week, _ = created_at.isocalendar()
                groups[lead_id] = f"{year}-W{week:02d}"
            elif by == "rep":
                groups[lead_id] = "unassigned"
            elif by in ("source", "landing"):
                groups[lead_id] = "(not tracked)"
        rows = session.execute(
            select(StageTransition.lead_id, StageTransition.to_stage, StageTransition.created_at).order_by(
                StageTransition.id
            )
        )
        for lead_id, stage, at in rows:
            if stage in reached and stage != "visitor" and lead_id in reached["visitor"]:
                reached[stage].setdefault(lead_id, at)
        if by == "rep":
            assignments = session.execute(
                select(LeadAssignment.lead_id, LeadAssignment.rep_id).order_by(LeadAssignment.id)
            )
            for lead_id, rep_id in assignments:
                if lead_id in groups:
                    groups[lead_id] = rep_id or "unassigned"
        if by in ("source", "landing"):
            first_seen: set[int] = set()
            events = session.execute(
                select(Event.visitor_id, Event.url, Event.referrer, Event.utm_source)
                .join(Lead, Lead.visitor_id == Event.visitor_id)  # only leads' events, not anonymous ones
                .order_by(Event.occurred_at)
            )
            for visitor_id, url, referrer, utm_source in events:
                lead_id = visitors.get(visitor_id)
                if lead_id is not None and lead_id not in first_seen:
                    first_seen.add(lead_id)
                    groups[lead_id] = (
                        utm_source or urlsplit(referrer or "").hostname or "direct"
                        if by == "source"
                        else urlsplit(url or "").path or "(unknown)"
                    )
    return reached, groups


def _steps(reached: dict[str, dict[int, datetime]]) -> list[FunnelStep]:
    steps = []
    for index, stage in enumerate(FUNNEL):
        if not index:
            steps.append(FunnelStep(stage, len(reached[stage]), None, None))
            continue
        previous = reached[FUNNEL[index - 1]]
        passed = [lead_id for lead_id in reached[stage] if lead_id in previous]
        hours = [(reached[stage][i] - previous[i]) / timedelta(hours=1) for i in passed]
        steps.append(
            FunnelStep(
                stage,
                len(reached[stage]),
                len(passed) / len(previous) if previous else None,
                round(median(hours), 2) if hours else None,
            )
        )
    return steps
