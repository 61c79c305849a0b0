"""Countries and time zones, from the IANA tables shipped with the `tzdata` package."""

from __future__ import annotations

import re
import unicodedata
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


def _zone_data(zone_name: str) -> bytes | None:
    try:
        return resources.files("tzdata.zoneinfo").joinpath(*zone_name.split("/")).read_bytes()
    except (OSError, ValueError):
        return None


@cache
def _countries_by_zone_data() -> dict[bytes, frozenset[str]]:
    # A backward-compatible name ("America/Buenos_Aires", "Asia/Calcutta") is a link: its data
    # are those of the zone zone.tab names ("America/Argentina/Buenos_Aires").
    countries: dict[bytes, set[str]] = {}
    for zone_name, code in _country_by_zone().items():
        data = _zone_data(zone_name)
        if data is not None:
            countries.setdefault(data, set()).add(code)
    return {data: frozenset(codes) for data, codes in countries.items()}


def country_for_timezone(zone_name: str | None) -> str | None:
    """The country a time zone belongs to ("Europe/Berlin" -> "DE", the old name
    "Asia/Calcutta" -> "IN"), or None for zones such as "UTC" that belong to none (or to
    several: a link whose data two countries' zones share)."""
    if not zone_name:
        return None
    if zone_name in _country_by_zone():
        return _country_by_zone()[zone_name]
    data = _zone_data(zone_name)
    codes = _countries_by_zone_data().get(data, frozenset()) if data else frozenset()
    return next(iter(codes)) if len(codes) == 1 else None


def zone(zone_name: str) -> ZoneInfo:
    """A ZoneInfo for an IANA name; ValueError with a readable message if there is none."""
    try:
        return ZoneInfo(zone_name)
    except (ZoneInfoNotFoundError, ValueError):
        raise ValueError(f"{zone_name!r} is not an IANA time zone (for example Europe/Berlin)") from None


def zones_of(country: str) -> tuple[str, ...]:
    """The country's time zones in zone.tab's order ("DE" -> ("Europe/Berlin",))."""
    return tuple(zone for zone, code in _country_by_zone().items() if code == country)


# Names visitors use that the ISO table spells otherwise ("Britain (UK)", "Korea (South)").
_ALIASES = {
    "uk": "GB",
    "u.k.": "GB",
    "united kingdom": "GB",
    "great britain": "GB",
    "britain": "GB",
    "england": "GB",
    "scotland": "GB",
    "wales": "GB",
    "northern ireland": "GB",
    "usa": "US",
    "u.s.": "US",
    "u.s.a.": "US",
    "the us": "US",
    "the states": "US",
    "united states of america": "US",
    "america": "US",
    "uae": "AE",
    "emirates": "AE",
    "holland": "NL",
    "the netherlands": "NL",
    "deutschland": "DE",
    "österreich": "AT",
    "schweiz": "CH",
    "suisse": "CH",
    "españa": "ES",
    "czechia": "CZ",
    "south korea": "KR",
    "korea": "KR",
    "north korea": "KP",
    "ivory coast": "CI",
    "cote d'ivoire": "CI",
    "côte d'ivoire": "CI",
    "russian federation": "RU",
    "viet nam": "VN",
    "swaziland": "SZ",
    "vatican": "VA",
    "hong kong sar": "HK",
}


def _fold(text: str) -> str:
    """Lower case without accents, so "Zürich" finds "Zurich" and "Côte d’Ivoire" its spelling."""
    decomposed = unicodedata.normalize("NFKD", text.replace("’", "'"))
    return "".join(char for char in decomposed if not unicodedata.combining(char)).lower()


# Regions people answer with instead of their country: a state or province says the country.
_REGIONS = {
    "US": "Alabama Alaska Arizona Arkansas California Colorado Connecticut Delaware Florida Hawaii "
    "Idaho Illinois Indiana Iowa Kansas Kentucky Louisiana Maine Maryland Massachusetts Michigan Minnesota "
    "Mississippi Missouri Montana Nebraska Nevada New_Hampshire New_Jersey New_Mexico North_Carolina "
    "North_Dakota Ohio Oklahoma Oregon Pennsylvania Rhode_Island South_Carolina South_Dakota Tennessee Texas "
    "Utah Vermont Virginia Washington West_Virginia Wisconsin Wyoming Silicon_Valley Bay_Area",
    "CA": "Alberta British_Columbia Manitoba New_Brunswick Newfoundland Nova_Scotia Ontario Quebec Saskatchewan",
    "AU": "New_South_Wales Queensland Tasmania Western_Australia South_Australia",
    "DE": "Bavaria Bayern Hesse Hessen Saxony",
}
# zone.tab cities that are everyday words or names ("wake", "easter", "Casey"). Georgia stays the
# country the ISO table names, not the US state.
_NOT_PLACES = frozenset({"wake", "midway", "easter", "christmas", "reunion", "casey", "davis", "palmer", "stanley"})
_NOT_PLACES |= frozenset({"troll", "jersey", "regina", "mawson", "vostok", "syowa", "rothera", "mcmurdo"})


@cache
def _country_names() -> dict[str, str]:
    """Folded name -> code: the ISO table's names (with and without their bracketed part), the
    aliases above, and the cities zone.tab names zones after ("London", "New York")."""
    names: dict[str, str] = {}
    for zone_name, code in _country_by_zone().items():
        if not zone_name.startswith("Antarctica/"):
            names.setdefault(_fold(zone_name.rsplit("/", 1)[-1].replace("_", " ")), code)
    for code, regions in _REGIONS.items():
        names.update({_fold(region.replace("_", " ")): code for region in regions.split()})
    for name in _NOT_PLACES:
        names.pop(name, None)
    for code, name, *_ in _table_rows("iso3166.tab"):
        names[_fold(name)] = code
        names[re.sub(r"\s*\(.*\)", "", _fold(name))] = code
    names.update({_fold(alias): code for alias, code in _ALIASES.items()})
    return names


@cache
def _country_pattern() -> re.Pattern[str]:
    # Longest names first, so "south korea" wins over "korea" and "new york" over "york".
    alternatives = "|".join(re.escape(name) for name in sorted(_country_names(), key=len, reverse=True))
    return re.compile(rf"(?<![\w.])({alternatives})(?!\w)")


def country_in_answer(text: str | None) -> str | None:
    """The country a visitor's answer names ("we're in the UK", "Munich, Germany", "based out of
    Toronto"), as an ISO code; the first one when it names several (where they are based comes
    first, as people say it). A message that is only an ISO code in capitals ("DE") counts; "US"
    or "NO" inside a sentence are words. None when it names no country."""
    bare = (text or "").strip(" .!")
    if re.fullmatch(r"[A-Z]{2}", bare) and bare in country_codes():
        return bare
    match = _country_pattern().search(_fold(text or ""))
    return _country_names()[match.group(1)] if match else None
