"""The rep roster (`config/roster.yml`): who sells to whom, when they meet, and how leads are routed.

`load_roster(path)` validates the whole file and raises `ConfigError` naming the file, the key
and the problem, so a typo never reaches a visitor.
"""
from __future__ import annotations

import math
import re
from dataclasses import dataclass
from datetime import time, timedelta
from pathlib import Path
from typing import Optional
from zoneinfo import ZoneInfo

from appconfig.yamlfile import ConfigError, Section, load_yaml

from .geo import country_codes, zone

WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")  # index = datetime.weekday()
RULE_FACTS = ("territory", "segment", "industry")

_TIME_RANGE = re.compile(r"^([01]\d|2[0-3]):([0-5]\d)-([01]\d|2[0-3]):([0-5]\d)$")
_SEGMENT_BAND = re.compile(r"^(\d+)(?:-(\d+)|\+)$")
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
_DOMAIN = re.compile(r"^(?=.{1,253}$)([a-z0-9-]+\.)+[a-z]{2,63}$")
_REP_ID = re.compile(r"^[a-z0-9][a-z0-9._-]{0,63}$")


@dataclass(frozen=True)
class Rep:
    id: str
    name: str
    email: str
    timezone: str
    # weekday (0 = Monday) -> ordered, non-overlapping (start, end) local times
    working_hours: dict[int, tuple[tuple[time, time], ...]]
    countries: frozenset[str]  # territories with regions expanded to country codes
    segments: frozenset[str]
    industries: frozenset[str]
    weight: int
    daily_meeting_cap: int
    active: bool
    accounts: frozenset[str]  # owned company domains

    @property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)


@dataclass(frozen=True)
class RoutingRule:
    name: str
    # Conditions on the lead, all of which must hold: fact -> allowed values
    # (territory conditions are expanded to country codes).
    when: dict[str, frozenset[str]]
    reps: Optional[tuple[str, ...]]  # the pool; None means every rep on the roster
    match_on: tuple[str, ...]  # facts each rep of the pool must cover for this lead


@dataclass(frozen=True)
class MeetingSettings:
    length: timedelta
    buffer: timedelta  # kept free before and after every booked meeting
    step: timedelta  # distance between offered start times
    horizon: timedelta  # how far ahead meetings can be booked
    minimum_notice: timedelta


@dataclass(frozen=True)
class Roster:
    path: str
    meetings: MeetingSettings
    regions: dict[str, frozenset[str]]
    segments: dict[str, tuple[int, Optional[int]]]  # name -> (min employees, max or None)
    reps: dict[str, Rep]
    rules: tuple[RoutingRule, ...]
    fallback_rep: Optional[str]
    fallback_queue: Optional[str]

    def rep(self, rep_id: str) -> Rep:
        try:
            return self.reps[rep_id]
        except KeyError:
            raise ValueError(f"no rep {rep_id!r} on the roster {self.path}") from None

    def segment_for(self, company_size: Optional[int]) -> Optional[str]:
        if company_size is None:
            return None
        for name, (low, high) in self.segments.items():
            if company_size >= low and (high is None or company_size <= high):
                return name
        return None

    def owner_of(self, domain: Optional[str]) -> Optional[Rep]:
        """The rep owning `domain` or a parent of it (eu.acme.com is owned with acme.com)."""
        if not domain:
            return None
        labels = domain.lower().strip(".").split(".")
        for start in range(len(labels) - 1):
            candidate = ".".join(labels[start:])
            for rep in self.reps.values():
                if candidate in rep.accounts:
                    return rep
        return None


def load_roster(path: Path | str) -> Roster:
    root = load_yaml(path)
    root.check_keys({"meetings", "regions", "segments", "reps", "routing_rules", "fallback"})
    regions = _regions(root)
    segments = _segments(root)
    reps: dict[str, Rep] = {}
    for item in root.sections("reps"):
        rep = _rep(item, regions, segments)
        if rep.id in reps:
            raise item.error("id", f"duplicate rep id {rep.id!r}")
        reps[rep.id] = rep
    if not reps:
        raise root.error("reps", "must list at least one rep")
    _check_accounts_unique(root, reps)
    rules = _rules(root, regions, segments, reps)
    fallback = root.section("fallback")
    fallback.check_keys({"rep", "queue"})
    fallback_rep = fallback.str("rep", None)
    fallback_queue = fallback.str("queue", None)
    if (fallback_rep is None) == (fallback_queue is None):
        raise root.error("fallback", "must name exactly one of `rep` (a rep id) or `queue` (a queue name)")
    if fallback_rep is not None and fallback_rep not in reps:
        raise fallback.error("rep", f"no rep with id {fallback_rep!r}")
    return Roster(
        path=str(path),
        meetings=_meetings(root.section("meetings")),
        regions=regions,
        segments=segments,
        reps=reps,
        rules=rules,
        fallback_rep=fallback_rep,
        fallback_queue=fallback_queue,
    )


def _minutes(section: Section, name: str, default=..., minimum: int = 0, maximum: int | None = None) -> timedelta:
    args = () if default is ... else (default,)
    return timedelta(minutes=section.integer(name, *args, minimum=minimum, maximum=maximum))


def _meetings(section: Section) -> MeetingSettings:
    section.check_keys({"length_minutes", "buffer_minutes", "slot_step_minutes", "horizon_days", "minimum_notice_minutes"})
    length = _minutes(section, "length_minutes", minimum=5, maximum=480)
    return MeetingSettings(
        length=length,
        buffer=_minutes(section, "buffer_minutes", 0, maximum=240),
        step=_minutes(section, "slot_step_minutes", int(length.total_seconds() // 60), minimum=5, maximum=480),
        horizon=timedelta(days=section.integer("horizon_days", minimum=1, maximum=180)),
        minimum_notice=_minutes(section, "minimum_notice_minutes", 0, maximum=60 * 24 * 14),
    )


def _regions(root: Section) -> dict[str, frozenset[str]]:
    section = root.section("regions", {})
    regions = {}
    for name in section.keys():
        if not isinstance(name, str) or not re.fullmatch(r"[a-z][a-z0-9_-]*", name):
            raise section.error(str(name), "region names are lower-case words (country codes are upper-case)")
        codes = section.list(name)
        for index, code in enumerate(codes):
            if code not in country_codes():
                raise ConfigError(section.path, f"{section.where(name)}[{index}]", _not_a_country(code))
        regions[name] = frozenset(codes)
    return regions


def _segments(root: Section) -> dict[str, tuple[int, Optional[int]]]:
    section = root.section("segments")
    segments: dict[str, tuple[int, Optional[int]]] = {}
    for name in section.keys():
        band = section.raw(name)
        match = _SEGMENT_BAND.match(str(band).replace(" ", ""))
        if not match:
            raise section.error(name, f"must be an employee band like \"1-199\" or \"1000+\", got {band!r}")
        low, high = int(match.group(1)), (int(match.group(2)) if match.group(2) else None)
        if high is not None and high < low:
            raise section.error(name, f"band {band!r} ends before it starts")
        for other, (other_low, other_high) in segments.items():
            if low <= _or_infinity(other_high) and other_low <= _or_infinity(high):
                raise section.error(name, f"band {band!r} overlaps segment {other!r}")
        segments[name] = (low, high)
    if not segments:
        raise root.error("segments", "must define at least one company-size band")
    return segments


def _or_infinity(high: Optional[int]) -> float:
    return math.inf if high is None else high


def _territories(section: Section, name: str, regions: dict[str, frozenset[str]]) -> frozenset[str]:
    countries: set[str] = set()
    for index, value in enumerate(section.list(name)):
        if isinstance(value, str) and value in regions:
            countries |= regions[value]
        elif isinstance(value, str) and value in country_codes():
            countries.add(value)
        else:
            raise ConfigError(section.path, f"{section.where(name)}[{index}]", _not_a_country(value, regions))
    return frozenset(countries)


def _not_a_country(value, regions: dict | None = None) -> str:
    if isinstance(value, bool):
        return "write country codes in quotes: YAML reads a bare NO (Norway) or YES as true/false"
    region_hint = " nor a region defined under `regions`" if regions is not None else ""
    return f"{value!r} is neither an ISO 3166 country code (upper-case, e.g. DE){region_hint}"


def _str_list(section: Section, name: str, default=...) -> list[str]:
    values = section.list(name) if default is ... else section.list(name, default)
    for index, value in enumerate(values):
        if not isinstance(value, str) or not value.strip():
            raise ConfigError(section.path, f"{section.where(name)}[{index}]", "must be non-empty text")
    return values


def _known_names(section: Section, name: str, known: dict | set, what: str) -> frozenset[str]:
    values = _str_list(section, name)
    for index, value in enumerate(values):
        if value not in known:
            raise ConfigError(
                section.path, f"{section.where(name)}[{index}]", f"unknown {what} {value!r} (known: {', '.join(sorted(known))})"
            )
    return frozenset(values)


def _rep(item: Section, regions, segments) -> Rep:
    item.check_keys(
        {"id", "name", "email", "timezone", "working_hours", "territories", "segments", "industries",
         "weight", "daily_meeting_cap", "active", "accounts"}
    )
    rep_id = item.str("id")
    if not _REP_ID.match(rep_id):
        raise item.error("id", f"must be lower-case letters, digits, '.', '_' or '-', got {rep_id!r}")
    email = item.str("email")
    if not _EMAIL.match(email):
        raise item.error("email", f"{email!r} is not an email address")
    timezone = item.str("timezone")
    try:
        zone(timezone)
    except ValueError as exc:
        raise item.error("timezone", str(exc)) from None
    accounts = [domain.lower() for domain in _str_list(item, "accounts", [])]
    for index, domain in enumerate(accounts):
        if not _DOMAIN.match(domain):
            raise ConfigError(item.path, f"{item.where('accounts')}[{index}]", f"{domain!r} is not a company domain like acme.com")
    return Rep(
        id=rep_id,
        name=item.str("name"),
        email=email,
        timezone=timezone,
        working_hours=_working_hours(item.section("working_hours")),
        countries=_territories(item, "territories", regions),
        segments=_known_names(item, "segments", segments, "segment"),
        industries=frozenset(value.lower() for value in _str_list(item, "industries", [])),
        weight=item.integer("weight", 1, minimum=1, maximum=1000),
        daily_meeting_cap=item.integer("daily_meeting_cap", minimum=1, maximum=50),
        active=item.bool("active", True),
        accounts=frozenset(accounts),
    )


def _weekdays(spec: str) -> list[int]:
    """"mon-fri" -> [0..4]; "mon,wed" -> [0, 2]; "sat" -> [5]."""
    days: list[int] = []
    for part in spec.replace(" ", "").split(","):
        first, _, last = part.partition("-")
        if first not in WEEKDAYS or (last and last not in WEEKDAYS):
            raise ValueError(f"{spec!r} is not a day or day range like mon-fri (days: {', '.join(WEEKDAYS)})")
        start, end = WEEKDAYS.index(first), WEEKDAYS.index(last or first)
        if end < start:
            raise ValueError(f"day range {part!r} runs backwards")
        days.extend(range(start, end + 1))
    return days


def _working_hours(section: Section) -> dict[int, tuple[tuple[time, time], ...]]:
    hours: dict[int, tuple[tuple[time, time], ...]] = {}
    for spec in section.keys():
        try:
            days = _weekdays(str(spec))
        except ValueError as exc:
            raise section.error(str(spec), str(exc)) from None
        value = section.raw(spec)
        texts = value if isinstance(value, list) else [value]
        ranges = []
        for text in texts:
            match = _TIME_RANGE.match(str(text).replace(" ", ""))
            if not match:
                raise section.error(spec, f"must be \"HH:MM-HH:MM\" or a list of them (e.g. lunch gaps), got {text!r}")
            start, end = time(int(match[1]), int(match[2])), time(int(match[3]), int(match[4]))
            if end <= start:
                raise section.error(spec, f"{text!r} ends before it starts")
            ranges.append((start, end))
        ranges.sort()
        for (_, previous_end), (next_start, _) in zip(ranges, ranges[1:]):
            if next_start < previous_end:
                raise section.error(spec, "time ranges overlap")
        for day in days:
            if day in hours:
                raise section.error(spec, f"{WEEKDAYS[day]} is given more than once")
            hours[day] = tuple(ranges)
    if not hours:
        raise ConfigError(section.path, section.key, "must give working hours for at least one day")
    return hours


def _check_accounts_unique(root: Section, reps: dict[str, Rep]) -> None:
    owners: dict[str, str] = {}
    for rep in reps.values():
        for domain in rep.accounts:
            if domain in owners:
                raise root.error("reps", f"account {domain!r} is owned by both {owners[domain]!r} and {rep.id!r}")
            owners[domain] = rep.id


def _rules(root: Section, regions, segments, reps: dict[str, Rep]) -> tuple[RoutingRule, ...]:
    rules = []
    names = set()
    for item in root.sections("routing_rules"):
        item.check_keys({"name", "when", "reps", "match_on"})
        name = item.str("name")
        if name in names or name in ("account_owner", "fallback"):
            raise item.error("name", f"rule name {name!r} is used twice or reserved")
        names.add(name)
        when_section = item.section("when", {})
        when_section.check_keys(RULE_FACTS)
        when: dict[str, frozenset[str]] = {}
        if "territory" in when_section:
            when["territory"] = _territories(when_section, "territory", regions)
        if "segment" in when_section:
            when["segment"] = _known_names(when_section, "segment", segments, "segment")
        if "industry" in when_section:
            when["industry"] = frozenset(value.lower() for value in _str_list(when_section, "industry"))
        pool = None
        if "reps" in item:
            _known_names(item, "reps", reps, "rep")
            pool = tuple(_str_list(item, "reps"))  # in the file's order
        match_on = tuple(_str_list(item, "match_on", []))
        for index, fact in enumerate(match_on):
            if fact not in RULE_FACTS:
                raise ConfigError(item.path, f"{item.where('match_on')}[{index}]", f"must be one of {', '.join(RULE_FACTS)}")
        if pool is None and not match_on:
            raise item.error("reps", "give the rule's reps, or `match_on` to pick the reps covering the lead, or both")
        rules.append(RoutingRule(name=name, when=when, reps=pool, match_on=match_on))
    return tuple(rules)
