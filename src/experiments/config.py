"""config/experiments.yml: dialogue experiments, each with weighted variants.

A variant changes any of four things; what it leaves out stays as the product does it today:
- `opening`: the response that greets a visitor the site knows nothing about (`utter_greet`)
- `question_order`: the form's slots to ask first, in this order (the others follow in the
  form's own order)
- `ask_budget`: false leaves the budget question out
- `offered_times`: how many meeting times the offer shows (3)

The first variant is the control the others are compared with. A disabled experiment assigns
nobody and changes nothing.
"""

from __future__ import annotations

import re
from collections.abc import Collection
from pathlib import Path

from pydantic import Field, root_validator, validator

from appconfig.yamlfile import (
    Checked,
    ConfigError,
    ConfigModel,
    Flag,
    ProblemAt,
    Text,
    at_least_one,
    choice,
    integer,
    number,
    parse_config,
)
from scoring.slots import FORM_SLOTS

# What each variant setting changes, for "two enabled experiments test the same thing".
SETTINGS = ("opening", "question_order", "ask_budget", "offered_times")
GOALS = ("booked", "sql")
_NAME = re.compile(r"^[a-z0-9][a-z0-9_-]{0,63}$")
_RESPONSE = re.compile(r"^utter_[a-z0-9_]+$")


def _checked_name(value: str) -> str:
    if not _NAME.match(value):
        raise ValueError(f"must be lower-case letters, digits, _ or - (at most 64), got {value!r}")
    return value


class Variant(ConfigModel):
    name: Checked[str, Text]
    weight: Checked[float, number(minimum=0)] = 1.0
    opening: Checked[str, Text] | None = None
    question_order: list[Checked[str, choice(FORM_SLOTS, "form slot")]] | None = None
    ask_budget: Checked[bool, Flag] | None = None
    offered_times: Checked[int, integer(minimum=1, maximum=10)] | None = None

    _name_is_a_name = validator("name", allow_reuse=True)(_checked_name)

    @validator("opening")
    def _a_response(cls, value: str | None) -> str | None:
        if value is not None and not _RESPONSE.match(value):
            raise ValueError(f"must name a response of domain.yml (utter_...), got {value!r}")
        return value

    @validator("question_order")
    def _each_slot_once(cls, value: list[str] | None) -> list[str] | None:
        if value is not None:
            if not value:
                raise ValueError("must list at least one form slot")
            twice = sorted({slot for slot in value if value.count(slot) > 1})
            if twice:
                raise ValueError(f"lists {', '.join(twice)} more than once")
        return value

    @root_validator(skip_on_failure=True)
    def _budget_asked_or_not(cls, values: dict) -> dict:
        if values.get("ask_budget") is False and "budget" in (values.get("question_order") or ()):
            raise ProblemAt(("question_order",), "lists budget, which ask_budget: false leaves out")
        return values

    def sets(self) -> set[str]:
        """The settings this variant changes."""
        return {setting for setting in SETTINGS if getattr(self, setting) is not None}


class Experiment(ConfigModel):
    enabled: Checked[bool, Flag] = False
    description: str = ""
    # What "converts" means in the verdict: a booked meeting, or reaching SQL.
    goal: Checked[str, choice(GOALS, "goal")] = "booked"
    variants: list[Variant]

    _some_variants = at_least_one("variants", "variant")

    @root_validator(skip_on_failure=True)
    def _variants_make_sense(cls, values: dict) -> dict:
        variants: list[Variant] = values["variants"]
        seen: set[str] = set()
        for index, variant in enumerate(variants):
            if variant.name in seen:
                raise ProblemAt(("variants", index, "name"), f"variant {variant.name!r} is defined twice")
            seen.add(variant.name)
        if sum(variant.weight for variant in variants) <= 0:
            raise ProblemAt(("variants",), "the weights add up to 0: give at least one variant a weight above 0")
        return values

    @property
    def control(self) -> Variant:
        return self.variants[0]

    def variant(self, name: str) -> Variant | None:
        return next((variant for variant in self.variants if variant.name == name), None)

    def tests(self) -> set[str]:
        return set().union(*(variant.sets() for variant in self.variants))


class DecisionRules(ConfigModel):
    """When a difference between variants may be acted on (the console's verdict)."""

    # Below these, per variant, the figures move too much to act on.
    min_visitors: Checked[int, integer(minimum=1, maximum=10_000_000)] = 100
    min_conversions: Checked[int, integer(minimum=1, maximum=10_000_000)] = 10
    # Two-sided p-value below which a difference counts as real.
    significance: Checked[float, number(minimum=0.001, maximum=0.2)] = 0.05


class ExperimentsConfig(ConfigModel):
    decision: DecisionRules = Field(default_factory=DecisionRules)
    experiments: dict[str, Experiment] = Field(default_factory=dict)

    @validator("experiments")
    def _names(cls, value: dict[str, Experiment]) -> dict[str, Experiment]:
        for name in value:
            if not _NAME.match(name):
                raise ProblemAt(
                    (name,),
                    f"an experiment's name must be lower-case letters, digits, _ or - (at most 64), got {name!r}",
                )
        return value

    @root_validator(skip_on_failure=True)
    def _one_experiment_per_setting(cls, values: dict) -> dict:
        # Two live experiments changing the same thing would each spoil the other's figures.
        tested_by: dict[str, str] = {}
        for name, experiment in values["experiments"].items():
            if not experiment.enabled:
                continue
            for setting in sorted(experiment.tests()):
                if setting in tested_by:
                    raise ProblemAt(
                        ("experiments", name, "variants"),
                        f"changes {setting}, which enabled experiment {tested_by[setting]!r} already tests",
                    )
                tested_by[setting] = name
        return values

    def enabled(self) -> dict[str, Experiment]:
        return {name: experiment for name, experiment in self.experiments.items() if experiment.enabled}


def load_experiments(path: Path | str, responses: Collection[str] | None = None) -> ExperimentsConfig:
    """Validate the file (a ConfigError names the file, the key and the problem). With the
    domain's `responses`, an opening must be one of them: Rasa would send nothing for a
    misspelt one, and the visitor would not be greeted at all."""
    config = parse_config(ExperimentsConfig, path)
    for name, experiment in config.experiments.items():
        for index, variant in enumerate(experiment.variants):
            if responses is not None and variant.opening and variant.opening not in responses:
                raise ConfigError(
                    path,
                    f"experiments.{name}.variants[{index}].opening",
                    f"no response {variant.opening!r} in domain.yml",
                )
    return config
