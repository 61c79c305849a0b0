"""How each variant is doing: visitors, SQL and booked rates with Wilson 95% intervals, a
two-proportion z-test of each variant against the control (the first), and a verdict in words.

A visitor counts from their assignment; a lead converts when a stage transition into `sql`
(or `meeting_booked`) is stored at or after it."""

from __future__ import annotations

import math
from collections import defaultdict
from dataclasses import asdict, dataclass
from typing import Any

from scipy.stats import binomtest, norm
from sqlalchemy import select

from leaddb.experiments import LeadExperiment
from leaddb.leads import StageTransition
from leaddb.store import LeadStore

from .config import DecisionRules, ExperimentsConfig

CONFIDENCE = 0.95  # of the Wilson intervals drawn
GOAL_STAGES = {"sql": "sql", "booked": "meeting_booked"}
GOAL_WORDS = {"sql": "SQLs", "booked": "bookings"}


@dataclass(frozen=True)
class Rate:
    count: int
    of: int
    rate: float | None  # None with no visitors
    low: float | None  # Wilson interval
    high: float | None


def wilson(count: int, of: int, confidence: float = CONFIDENCE) -> Rate:
    if of == 0:
        return Rate(count, of, None, None, None)
    interval = binomtest(count, of).proportion_ci(confidence_level=confidence, method="wilson")
    return Rate(count, of, count / of, float(interval.low), float(interval.high))


@dataclass(frozen=True)
class Comparison:
    z: float | None
    p: float | None  # two-sided; None when it cannot be computed (no visitors, or nobody or everybody converted)


def two_proportion_z_test(control: tuple[int, int], other: tuple[int, int]) -> Comparison:
    """Pooled two-proportion z-test of other's rate against control's: (conversions, visitors)."""
    (x1, n1), (x2, n2) = control, other
    if n1 == 0 or n2 == 0:
        return Comparison(None, None)
    pooled = (x1 + x2) / (n1 + n2)
    spread = math.sqrt(pooled * (1 - pooled) * (1 / n1 + 1 / n2))
    if spread == 0:
        return Comparison(None, None)
    z = (x2 / n2 - x1 / n1) / spread
    return Comparison(z, float(2 * norm.sf(abs(z))))


@dataclass(frozen=True)
class VariantResult:
    name: str
    weight: float
    visitors: int
    sql: Rate
    booked: Rate
    versus_control: Comparison | None  # on the experiment's goal; None for the control
    verdict: str | None  # None for the control


@dataclass(frozen=True)
class ExperimentResult:
    name: str
    enabled: bool
    description: str
    goal: str
    variants: list[VariantResult]
    warning: str | None  # set while the samples are too small to act on

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def format_p(p: float) -> str:
    if p < 0.001:
        return "p<0.001"
    return f"p={p:.3f}" if p < 0.01 else f"p={p:.2f}"


def verdict(
    control: str,
    name: str,
    goal: str,
    control_counts: tuple[int, int],
    counts: tuple[int, int],
    comparison: Comparison,
    rules: DecisionRules | None = None,
) -> str:
    """What an operator may conclude about variant `name` against the control, in words, by
    experiments.yml's `decision` rules (the defaults when none are given)."""
    rules = rules or DecisionRules()
    short_visitors = {
        variant: rules.min_visitors - visitors
        for variant, (_, visitors) in ((control, control_counts), (name, counts))
        if visitors < rules.min_visitors
    }
    if short_visitors:
        needed = ", ".join(f"{more} more needed for {variant}" for variant, more in short_visitors.items())
        return f"too few visitors: {needed} (at least {rules.min_visitors} per variant)"
    short_conversions = {
        variant: rules.min_conversions - converted
        for variant, (converted, _) in ((control, control_counts), (name, counts))
        if converted < rules.min_conversions
    }
    if short_conversions:
        words = GOAL_WORDS[goal]
        needed = ", ".join(f"{more} more {words} needed for {variant}" for variant, more in short_conversions.items())
        return f"too few {words}: {needed} (at least {rules.min_conversions} per variant)"
    if comparison.p is None or comparison.z is None or comparison.p >= rules.significance:
        return "no clear difference yet" + (f" ({format_p(comparison.p)})" if comparison.p is not None else "")
    better = "better" if comparison.z > 0 else "worse"
    return f"{name} converts {better} than {control} ({format_p(comparison.p)})"


def experiment_results(store: LeadStore, config: ExperimentsConfig) -> list[ExperimentResult]:
    """The figures of every experiment in the file, enabled or not (a stopped one keeps its figures)."""
    visitors: dict[tuple[str, str], dict[int, Any]] = defaultdict(dict)  # (experiment, variant) -> lead -> assigned_at
    reached: dict[str, dict[int, list[Any]]] = {stage: defaultdict(list) for stage in GOAL_STAGES.values()}
    with store.session() as session:
        rows = session.execute(
            select(
                LeadExperiment.experiment, LeadExperiment.variant, LeadExperiment.lead_id, LeadExperiment.assigned_at
            )
        ).all()
        for experiment, variant, lead_id, assigned_at in rows:
            visitors[(experiment, variant)][lead_id] = assigned_at
        transitions = session.execute(
            select(StageTransition.lead_id, StageTransition.to_stage, StageTransition.created_at).where(
                StageTransition.to_stage.in_(list(GOAL_STAGES.values()))
            )
        ).all()
        for lead_id, stage, created_at in transitions:
            reached[stage][lead_id].append(created_at)

    def converted(leads: dict[int, Any], goal: str) -> int:
        times = reached[GOAL_STAGES[goal]]
        return sum(
            1 for lead_id, assigned_at in leads.items() if any(at >= assigned_at for at in times.get(lead_id, ()))
        )

    results, rules = [], config.decision
    for name, experiment in config.experiments.items():
        counts = {
            variant.name: {goal: converted(visitors[(name, variant.name)], goal) for goal in GOAL_STAGES}
            for variant in experiment.variants
        }
        sizes = {variant.name: len(visitors[(name, variant.name)]) for variant in experiment.variants}
        control = experiment.control.name
        control_counts = (counts[control][experiment.goal], sizes[control])
        variants, small = [], False
        for variant in experiment.variants:
            size = sizes[variant.name]
            goal_counts = (counts[variant.name][experiment.goal], size)
            small = small or size < rules.min_visitors or goal_counts[0] < rules.min_conversions
            comparison = verdict_text = None
            if variant.name != control:
                comparison = two_proportion_z_test(control_counts, goal_counts)
                verdict_text = verdict(
                    control, variant.name, experiment.goal, control_counts, goal_counts, comparison, rules
                )
            variants.append(
                VariantResult(
                    name=variant.name,
                    weight=variant.weight,
                    visitors=size,
                    sql=wilson(counts[variant.name]["sql"], size),
                    booked=wilson(counts[variant.name]["booked"], size),
                    versus_control=comparison,
                    verdict=verdict_text,
                )
            )
        warning = (
            f"Small samples: fewer than {rules.min_visitors} visitors or {rules.min_conversions} "
            f"{GOAL_WORDS[experiment.goal]} "
            "in a variant. The rates can still change a lot; do not act on them yet."
            if small and len(experiment.variants) > 1
            else None
        )
        results.append(
            ExperimentResult(
                name=name,
                enabled=experiment.enabled,
                description=experiment.description,
                goal=experiment.goal,
                variants=variants,
                warning=warning,
            )
        )
    return results
