"""Privacy rules for tracking: config/privacy.yml, and the server-side checks `/track` makes
before storing anything: Do-Not-Track / Global Privacy Control, and the visitor's consent.

The checks live here, not in tracking.py, so /track needs only a one-line hook."""

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
    data_request_link_hours: conint(gt=0, le=24 * 14) = 24  # type: ignore[valid-type]


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


# Set by tracker.js (`leadTracker.setConsent`) when the visitor answers the site's banner.
CONSENT_COOKIE = "lq_consent"
GRANTED = "granted"


def may_store_events(headers: Mapping[str, str], cookies: Mapping[str, str], config: PrivacyConfig) -> bool:
    """Whether /track may store this request's events: not when the browser objects to
    tracking, and, when `tracking_waits_for_consent`, not from a browser page (a request with
    an `Origin`, which browsers always send with a POST) whose visitor has not accepted. The
    script waits for consent too; this holds for an old cached copy or a page without the
    banner. Server-to-server senders (no Origin, no visitor cookies) answer for their own."""
    if objects_to_tracking(headers, config):
        return False
    if config.tracking_waits_for_consent and "origin" in headers:
        return cookies.get(CONSENT_COOKIE) == GRANTED
    return True
