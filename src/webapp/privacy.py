"""Privacy rules for tracking: config/privacy.yml, and the server-side Do-Not-Track /
Global Privacy Control check `/track` makes before storing anything.

The check lives here, not in tracking.py, so /track needs only a one-line hook."""

from __future__ import annotations

from collections.abc import Mapping
from functools import lru_cache
from pathlib import Path

from pydantic import conint

from appconfig.yamlfile import ConfigModel, parse_config


class PrivacyConfig(ConfigModel):
    honour_do_not_track: bool = True
    tracking_waits_for_consent: bool = True
    retention_days: conint(gt=0) = 395  # type: ignore[valid-type]


def load_privacy(path: Path | str) -> PrivacyConfig:
    return parse_config(PrivacyConfig, path)


@lru_cache(maxsize=8)
def _cached(path: Path) -> PrivacyConfig:
    return load_privacy(path)


def privacy_for(config_dir: Path) -> PrivacyConfig:
    """The config of `config_dir`, read once per process (start-up checks already validated it)."""
    return _cached(Path(config_dir) / "privacy.yml")


def objects_to_tracking(headers: Mapping[str, str], config: PrivacyConfig) -> bool:
    """True when the browser asked not to be tracked (`DNT: 1` or `Sec-GPC: 1`) and the config
    says to honour it; such a visitor's events are not stored."""
    if not config.honour_do_not_track:
        return False
    return headers.get("dnt", "").strip() == "1" or headers.get("sec-gpc", "").strip() == "1"
