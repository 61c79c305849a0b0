"""Countries and time zones, from the IANA tables shipped with the `tzdata` package."""

from __future__ import annotations

from functools import cache
from importlib import resources
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError


def _table_rows(name: str) -> list[list[str]]:
    text = resources.files("tzdata.zoneinfo").joinpath(name).read_text(encoding="utf-8")
    return [line.split("\t") for line in text.splitlines() if line and not line.startswith("#")]


@cache
def country_codes() -> frozenset[str]:
    """ISO 3166-1 alpha-2 codes."""
    return frozenset(row[0] for row in _table_rows("iso3166.tab"))


@cache
def _country_by_zone() -> dict[str, str]:
    # zone.tab names one country per zone (zone1970.tab may name several).
    return {row[2]: row[0] for row in _table_rows("zone.tab")}


def country_for_timezone(zone_name: str | None) -> str | None:
    """The country a time zone belongs to ("Europe/Berlin" -> "DE"), or None for zones
    such as "UTC" that belong to none."""
    if not zone_name:
        return None
    return _country_by_zone().get(zone_name)


def zone(zone_name: str) -> ZoneInfo:
    """A ZoneInfo for an IANA name; ValueError with a readable message if there is none."""
    try:
        return ZoneInfo(zone_name)
    except (ZoneInfoNotFoundError, ValueError):
        raise ValueError(f"{zone_name!r} is not an IANA time zone (for example Europe/Berlin)") from None
