"""What every action shares, created once per action-server process."""
from __future__ import annotations

import asyncio
from functools import lru_cache
from typing import Any, Callable, Optional

from appconfig.settings import load_settings
from handoff import Notifications, NurtureConfig, Roster, load_nurture, load_roster
from leaddb import LeadStore, utcnow
from leaddb.events import visitor_events
from scoring.behaviour import BehaviourRules, BehaviourScore, load_behaviour_rules, score_behaviour
from scoring.predictive import LeadModel, load_model
from scoring.qualification import QualificationRules, load_qualification_rules


@lru_cache(maxsize=None)
def lead_store() -> LeadStore:
    return LeadStore.from_url(load_settings().database_url)


@lru_cache(maxsize=None)
def qualification_rules() -> QualificationRules:
    return load_qualification_rules(load_settings().config_dir / "scoring.yml")


async def in_thread(function: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
    """Run a blocking database call without stalling the action server's event loop."""
    return await asyncio.to_thread(function, *args, **kwargs)


@lru_cache(maxsize=None)
def roster() -> Roster:
    return load_roster(load_settings().config_dir / "roster.yml")


@lru_cache(maxsize=None)
def nurture_tracks() -> NurtureConfig:
    return load_nurture(load_settings().config_dir / "nurture.yml")


def notifications() -> Notifications:
    return Notifications.from_env()


@lru_cache(maxsize=None)
def behaviour_rules() -> BehaviourRules:
    return load_behaviour_rules(load_settings().config_dir / "behaviour.yml")


@lru_cache(maxsize=None)
def lead_model() -> Optional[LeadModel]:
    """The predictive model named in scoring.yml, or None when none is configured."""
    rule = qualification_rules().model
    return load_model(rule.path) if rule else None


def visitor_behaviour(visitor_id: str) -> BehaviourScore:
    """What this visitor did on the site (tracker.js events under the same id), scored."""
    rules, now = behaviour_rules(), utcnow()
    events = visitor_events(lead_store().engine, visitor_id, since=rules.window_start(now))
    return score_behaviour(rules, events, now)
