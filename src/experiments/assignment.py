"""Which variant a visitor gets, stored on the lead once, and what that changes in the dialogue.

The variant is a pure function of the experiment's name and the visitor id (a hash over the
weights), so every process agrees without asking anyone; it is still stored with the lead the
first time, so that a later change of weights does not move visitors who already saw one."""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from leaddb.experiments import LeadExperiment
from leaddb.leads import Lead
from leaddb.store import LeadStore

from .config import Experiment, ExperimentsConfig, Variant

# What the product does when no experiment says otherwise.
DEFAULT_OPENING = "utter_greet"
DEFAULT_OFFERED_TIMES = 3


def bucket(experiment: str, visitor_id: str) -> float:
    """A point in [0, 1) that only this experiment and visitor give. The experiment's name is
    part of it, so the same visitor lands independently in different experiments."""
    digest = hashlib.sha256(f"{experiment}\x00{visitor_id}".encode()).digest()
    return int.from_bytes(digest[:8], "big") / 2**64


def pick_variant(name: str, experiment: Experiment, visitor_id: str) -> Variant:
    """The variant whose share of the total weight holds the visitor's bucket."""
    point = bucket(name, visitor_id) * sum(variant.weight for variant in experiment.variants)
    upper = 0.0
    for variant in experiment.variants:
        upper += variant.weight
        if point < upper and variant.weight > 0:
            return variant
    return next(variant for variant in reversed(experiment.variants) if variant.weight > 0)  # rounding at the top


def assign(store: LeadStore, config: ExperimentsConfig, visitor_id: str, now: datetime) -> dict[str, Variant]:
    """The visitor's variant in every enabled experiment, stored on the lead the first time.
    A stored variant wins over the hash; one since removed from the file gives the control."""
    live = config.enabled()
    if not live:
        return {}
    with store.session() as session:
        lead_id = session.execute(select(Lead.id).where(Lead.visitor_id == visitor_id)).scalar_one_or_none()
    if lead_id is None:
        store.ensure_lead(visitor_id)
        with store.session() as session:
            lead_id = session.execute(select(Lead.id).where(Lead.visitor_id == visitor_id)).scalar_one()
    with store.session() as session:
        stored = dict(
            session.execute(
                select(LeadExperiment.experiment, LeadExperiment.variant).where(LeadExperiment.lead_id == lead_id)
            ).all()
        )
        missing = [
            {"lead_id": lead_id, "experiment": name, "variant": pick_variant(name, live[name], visitor_id).name}
            for name in live
            if name not in stored
        ]
        if missing:
            # Two processes may assign at once: both pick the same variant, and one insert is skipped.
            insert = postgresql_insert if store.engine.dialect.name == "postgresql" else sqlite_insert
            session.execute(
                insert(LeadExperiment.__table__)
                .values([{**row, "assigned_at": now} for row in missing])
                .on_conflict_do_nothing(index_elements=["lead_id", "experiment"])
            )
            stored.update({row["experiment"]: row["variant"] for row in missing})
    return {name: experiment.variant(stored[name]) or experiment.control for name, experiment in live.items()}


@dataclass(frozen=True)
class DialoguePlan:
    """What the visitor's variants change; every field left at its default is today's product."""

    opening: str = DEFAULT_OPENING
    question_order: tuple[str, ...] = ()
    ask_budget: bool = True
    offered_times: int = DEFAULT_OFFERED_TIMES
    variants: dict[str, str] = field(default_factory=dict)  # experiment -> variant, for logs

    def form_slots(self, slots: Sequence[str]) -> list[str]:
        """The form's slots in the order to ask them: the variant's first, then the rest as the
        form lists them; without budget when the variant does not ask it."""
        first = [slot for slot in self.question_order if slot in slots]
        ordered = first + [slot for slot in slots if slot not in first]
        return [slot for slot in ordered if self.ask_budget or slot != "budget"]


def plan_from(variants: dict[str, Variant] | Iterable[tuple[str, Variant]]) -> DialoguePlan:
    """Combine the variants of the enabled experiments (the file lets only one change each setting)."""
    items = list(variants.items() if isinstance(variants, dict) else variants)
    settings: dict[str, object] = {}
    for _, variant in items:
        for setting in variant.sets():
            value = getattr(variant, setting)
            settings[setting] = tuple(value) if setting == "question_order" else value
    return DialoguePlan(**settings, variants={name: variant.name for name, variant in items})  # type: ignore[arg-type]


def dialogue_plan(store: LeadStore, config: ExperimentsConfig, visitor_id: str, now: datetime) -> DialoguePlan:
    """The visitor's plan, assigning them on the first call; no experiment enabled: today's dialogue."""
    return plan_from(assign(store, config, visitor_id, now))
