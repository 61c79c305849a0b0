"""What every action shares, created once per action-server process."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from functools import cache
from typing import Any

from appconfig.settings import load_settings
from experiments import DialoguePlan, ExperimentsConfig, dialogue_plan, load_experiments
from handoff import (
    FreeMail,
    Industries,
    Notifications,
    NurtureConfig,
    Roster,
    load_free_mail,
    load_industries,
    load_nurture,
    load_roster,
)
from leaddb import LeadStore, utcnow
from leaddb.events import visitor_events
from scoring.behaviour import BehaviourRules, BehaviourScore, load_behaviour_rules, score_behaviour
from scoring.predictive import LeadModel, load_model
from scoring.qualification import QualificationRules, load_qualification_rules


@cache
def lead_store() -> LeadStore:
    return LeadStore.from_url(load_settings().database_url)


@cache
def qualification_rules() -> QualificationRules:
    return load_qualification_rules(load_settings().config_dir / "scoring.yml")


async def in_thread(function: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
    """Run a blocking database call without stalling the action server's event loop."""
    return await asyncio.to_thread(function, *args, **kwargs)


@cache
def roster() -> Roster:
    return load_roster(load_settings().config_dir / "roster.yml")


@cache
def free_mail() -> FreeMail:
    return load_free_mail(load_settings().config_dir / "free_mail.yml")


@cache
def industries() -> Industries:
    return load_industries(load_settings().config_dir / "industries.yml")


@cache
def nurture_tracks() -> NurtureConfig:
    return load_nurture(load_settings().config_dir / "nurture.yml")


@cache
def experiments() -> ExperimentsConfig:
    return load_experiments(load_settings().config_dir / "experiments.yml")


def visitor_plan(visitor_id: str) -> DialoguePlan:
    """What the visitor's experiment variants change (assigned on first use); today's dialogue
    when no experiment is enabled."""
    return dialogue_plan(lead_store(), experiments(), visitor_id, utcnow())


def notifications() -> Notifications:
    return Notifications.from_env()


@cache
def behaviour_rules() -> BehaviourRules:
    return load_behaviour_rules(load_settings().config_dir / "behaviour.yml")


@cache
def lead_model() -> LeadModel | None:
    """The predictive model named in scoring.yml, or None when none is configured."""
    rule = qualification_rules().model
    return load_model(rule.path) if rule else None


def visitor_behaviour(visitor_id: str) -> BehaviourScore:
    """What this visitor did on the site (tracker.js events under the same id), scored."""
    rules, now = behaviour_rules(), utcnow()
    events = visitor_events(lead_store().engine, visitor_id, since=rules.window_start(now))
    return score_behaviour(rules, events, now)
