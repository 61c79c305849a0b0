"""What every action shares, created once per action-server process."""
from __future__ import annotations

import asyncio
from functools import lru_cache
from typing import Any, Callable

from appsettings import load_settings
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
