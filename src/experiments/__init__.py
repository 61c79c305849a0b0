"""Dialogue A/B tests (config/experiments.yml): which variant each visitor gets, what it
changes in the dialogue, and how the variants compare.

    config = load_experiments("config/experiments.yml")
    plan = dialogue_plan(store, config, visitor_id, now)   # assigns the visitor on first use
    plan.opening, plan.form_slots(domain_slots), plan.offered_times
    experiment_results(store, config)                      # figures, intervals and verdicts

Nothing here imports Rasa; actions/ reads the plan.
"""

from .assignment import (
    DEFAULT_OFFERED_TIMES,
    DEFAULT_OPENING,
    DialoguePlan,
    assign,
    bucket,
    dialogue_plan,
    pick_variant,
    plan_from,
)
from .config import DecisionRules, Experiment, ExperimentsConfig, Variant, load_experiments
from .results import (
    Comparison,
    ExperimentResult,
    Rate,
    VariantResult,
    experiment_results,
    two_proportion_z_test,
    verdict,
    wilson,
)

__all__ = [
    "DEFAULT_OFFERED_TIMES",
    "DEFAULT_OPENING",
    "Comparison",
    "DialoguePlan",
    "DecisionRules",
    "Experiment",
    "ExperimentResult",
    "ExperimentsConfig",
    "Rate",
    "Variant",
    "VariantResult",
    "assign",
    "bucket",
    "dialogue_plan",
    "experiment_results",
    "load_experiments",
    "pick_variant",
    "plan_from",
    "two_proportion_z_test",
    "verdict",
    "wilson",
]
