"""Routing a sales-qualified lead to a rep: account owner, ordered rules, weighted round-robin,
fallback. Every decision is stored in `lead_assignments` with its rule and reasons."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from leaddb import LeadStore
from leaddb.leads import Lead
from leaddb.meetings import LeadAssignment, RoundRobinWeight

from .db import lead_for, take_lock
from .facts import LeadFacts
from .meeting_times import has_a_day_under_the_cap
from .roster import Rep, Roster, RoutingRule

# Why a covering rep was skipped: no day they could still take a meeting on.
_FULL = "at the daily cap on every day of the booking horizon"


@dataclass(frozen=True)
class RoutingDecision:
    rep_id: str | None  # None when the lead went to the fallback queue
    rule: str  # "account_owner", a routing rule's name, or "fallback"
    reasons: tuple[str, ...]
    queue: str | None = None


def route_lead(roster: Roster, lead: LeadFacts, db: LeadStore, now: datetime) -> RoutingDecision:
    """Choose the rep for `lead` and store the decision (one transaction)."""
    with db.session() as session:
        decision = decide_route(session, roster, lead, now)
        record_assignment(session, lead_for(session, lead.visitor_id).id, decision, now)
    return decision


def record_assignment(session: Session, lead_id: int, decision: RoutingDecision, now: datetime) -> None:
    """The routing audit: one row per decision, in the caller's transaction."""
    session.add(
        LeadAssignment(
            lead_id=lead_id,
            rep_id=decision.rep_id,
            queue=decision.queue,
            rule=decision.rule,
            reasons=list(decision.reasons),
            created_at=now,
        )
    )


def latest_assignment(db: LeadStore, visitor_id: str) -> RoutingDecision | None:
    """The visitor's most recent routing decision, if any."""
    with db.session() as session:
        row = session.execute(
            select(LeadAssignment)
            .join(Lead, Lead.id == LeadAssignment.lead_id)
            .where(Lead.visitor_id == visitor_id)
            .order_by(LeadAssignment.id.desc())
            .limit(1)
        ).scalar_one_or_none()
        if row is None:
            return None
        return RoutingDecision(rep_id=row.rep_id, rule=row.rule, reasons=tuple(row.reasons), queue=row.queue)


def decide_route(
    session: Session, roster: Roster, lead: LeadFacts, now: datetime, exclude: frozenset[str] = frozenset()
) -> RoutingDecision:
    """The routing decision, not stored. Reps in `exclude` are passed over everywhere (owner,
    rules, fallback rep): a re-route after an SLA lapse leaves out the reps who let it lapse."""
    reasons: list[str] = []

    # The company domain (derived by handoff.company, free mail left out) is matched too, so a
    # visitor writing from gmail whose company answer is acme.io reaches acme.io's owner.
    for domain in dict.fromkeys(filter(None, (lead.email_domain, lead.company_domain))):
        owner = roster.owner_of(domain)
        if owner is None:
            continue
        which = "the email domain" if domain == lead.email_domain else "the company domain"
        if owner.id in exclude:
            reasons.append(
                f"{domain} ({which}) is owned by {owner.name}, who is passed over this time; routing by rules"
            )
            continue
        if owner.active:
            return RoutingDecision(
                owner.id, "account_owner", (f"{domain} ({which}) is an account owned by {owner.name}",)
            )
        reasons.append(f"{domain} ({which}) is owned by {owner.name}, who is inactive; routing by rules")

    facts, described = routing_facts(roster, lead)
    reasons.append(f"lead: {described}")

    for rule, covering in covering_reps(roster, facts, exclude):
        full = [rep for rep in covering if not has_a_day_under_the_cap(session, rep, roster.meetings, now)]
        available = [rep for rep in covering if rep not in full]
        if not available:
            at_cap = f" ({', '.join(rep.name for rep in full)} {_FULL})" if full else ""
            reasons.append(
                f"rule {rule.name} matched but no active rep covers the lead with a day left to book{at_cap}"
            )
            continue
        chosen = _weighted_round_robin(session, rule.name, available)
        reasons.append(f"rule {rule.name} matched: {_describe(rule)}")
        skipped = f"; {', '.join(rep.name for rep in full)} {_FULL}" if full else ""
        reasons.append(
            f"{chosen.name} chosen by weighted round-robin among {', '.join(f'{rep.name} (weight {rep.weight})' for rep in available)}{skipped}"
        )
        return RoutingDecision(chosen.id, rule.name, tuple(reasons))

    reasons.append("no routing rule found an available rep")
    if roster.fallback_rep and roster.fallback_rep not in exclude:
        rep = roster.reps[roster.fallback_rep]
        return RoutingDecision(rep.id, "fallback", tuple(reasons + [f"fallback rep {rep.name}"]))
    return RoutingDecision(
        None, "fallback", tuple(reasons + [f"fallback queue {roster.fallback_queue}"]), roster.fallback_queue
    )


def routing_facts(roster: Roster, lead: LeadFacts) -> tuple[dict[str, str | None], str]:
    """The facts the rules test (territory, segment, industry), and how each is known."""
    country, country_text = lead.resolved_country()
    segment = roster.segment_for(lead.company_size)
    industry, industry_text = lead.industry_text()
    segment_text = f"segment {segment} ({lead.company_size} employees)" if segment else "segment unknown"
    facts = {"territory": country, "segment": segment, "industry": industry}
    return facts, f"{country_text}, {segment_text}, {industry_text}"


def covering_reps(
    roster: Roster, facts: dict[str, str | None], exclude: frozenset[str] = frozenset()
) -> Iterator[tuple[RoutingRule, list[Rep]]]:
    """Each rule whose conditions the lead meets, in order, with the active reps of its pool
    who cover what it matches on (maybe none); capacity is not looked at here."""
    for rule in roster.rules:
        if not all(facts[fact] in allowed for fact, allowed in rule.when.items()):
            continue
        pool = [roster.reps[rep_id] for rep_id in rule.reps] if rule.reps is not None else list(roster.reps.values())
        yield (
            rule,
            [
                rep
                for rep in pool
                if rep.active
                and rep.id not in exclude
                and all(_covers(rep, fact, facts[fact]) for fact in rule.match_on)
            ],
        )


def _covers(rep: Rep, fact: str, value: str | None) -> bool:
    if value is None:
        return False
    if fact == "territory":
        return value in rep.countries
    if fact == "segment":
        return value in rep.segments
    return value in rep.industries


def _describe(rule: RoutingRule) -> str:
    parts = [f"{fact} in {', '.join(sorted(values))}" for fact, values in rule.when.items()]
    if rule.match_on:
        parts.append(f"rep covers the lead's {' and '.join(rule.match_on)}")
    if rule.reps is not None:
        parts.append(f"reps {', '.join(rule.reps)}")
    return "; ".join(parts)


def _weighted_round_robin(session: Session, pool: str, reps: list[Rep]) -> Rep:
    """Smooth weighted round-robin (as in nginx): every rep's current weight grows by its
    weight, the largest wins and gives back the total. Over any run of picks each rep gets
    its share, spread out rather than in bursts. The pool's lock makes concurrent
    conversations take turns, so no pick is lost or doubled."""
    take_lock(session, f"round-robin:{pool}")
    rows = {
        row.rep_id: row
        for row in session.execute(
            select(RoundRobinWeight).where(
                RoundRobinWeight.pool == pool, RoundRobinWeight.rep_id.in_([r.id for r in reps])
            )
        ).scalars()
    }
    for rep in reps:
        if rep.id not in rows:
            rows[rep.id] = RoundRobinWeight(pool=pool, rep_id=rep.id, current=0)
            session.add(rows[rep.id])
        rows[rep.id].current += rep.weight
    chosen = max(reps, key=lambda rep: rows[rep.id].current)  # ties: the first in roster order
    rows[chosen.id].current -= sum(rep.weight for rep in reps)
    return chosen
