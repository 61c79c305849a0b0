"""What every action shares, created once per action-server process."""
from __future__ import annotations

import asyncio
from functools import lru_cache
from typing import Any, Callable

from appsettings import load_settings
from handoff import Notifications, NurtureConfig, Roster, load_nurture, load_roster
from leaddb import LeadStore
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
