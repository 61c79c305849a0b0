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
from typing import Any
from zoneinfo import ZoneInfo

from email_validator import EmailNotValidError, validate_email
from pydantic import root_validator, validator

from appconfig.yamlfile import (
    Checked,
    CheckedValue,
    ConfigModel,
    Flag,
    ProblemAt,
    Text,
    at_least_one,
    choice,
    integer,
    kind,
    parse_config,
)

from .geo import country_codes, zone

WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")  # index = datetime.weekday()
RULE_FACTS = ("territory", "segment", "industry")
# Days after a meeting's end that the rep's accept/reject links keep working, unless
# roster.yml's `meetings.decision_link_days` says otherwise.
DECISION_LINK_DAYS = 7

_TIME_RANGE = re.compile(r"^([01]\d|2[0-3]):([0-5]\d)-([01]\d|2[0-3]):([0-5]\d)$")
_SEGMENT_BAND = re.compile(r"^(\d+)(?:-(\d+)|\+)$")


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
class Queue:
    """A shared inbox that a person reads (sales, support): where a request for a person goes
    when no rep is routed, with the hours someone reads it."""

    name: str
    email: str
    timezone: str
    working_hours: dict[int, tuple[tuple[time, time], ...]]


@dataclass(frozen=True)
class RoutingRule:
    name: str
    # Conditions on the lead, all of which must hold: fact -> allowed values
    # (territory conditions are expanded to country codes).
    when: dict[str, frozenset[str]]
    reps: tuple[str, ...] | None  # the pool; None means every rep on the roster
    match_on: tuple[str, ...]  # facts each rep of the pool must cover for this lead


class MeetingSettings(ConfigModel):
    length_minutes: Checked[int, integer(minimum=5, maximum=480)]
    buffer_minutes: Checked[int, integer(minimum=0, maximum=240)] = 0  # kept free before and after every booked meeting
    # between offered starts; default: the length
    slot_step_minutes: Checked[int, integer(minimum=5, maximum=480)] | None = None
    horizon_days: Checked[int, integer(minimum=1, maximum=180)]  # how far ahead meetings can be booked
    minimum_notice_minutes: Checked[int, integer(minimum=0, maximum=60 * 24 * 14)] = 0
    # The rep's accept/reject links stop working this many days after the meeting's end (and
    # at once when the meeting is decided).
    decision_link_days: Checked[int, integer(minimum=1, maximum=365)] = DECISION_LINK_DAYS

    @property
    def length(self) -> timedelta:
        return timedelta(minutes=self.length_minutes)

    @property
    def buffer(self) -> timedelta:
        return timedelta(minutes=self.buffer_minutes)

    @property
    def step(self) -> timedelta:
        return timedelta(minutes=self.slot_step_minutes or self.length_minutes)

    @property
    def horizon(self) -> timedelta:
        return timedelta(days=self.horizon_days)

    @property
    def minimum_notice(self) -> timedelta:
        return timedelta(minutes=self.minimum_notice_minutes)

    @property
    def decision_link_lifetime(self) -> timedelta:
        return timedelta(days=self.decision_link_days)


@dataclass(frozen=True)
class Roster:
    path: str
    meetings: MeetingSettings
    regions: dict[str, frozenset[str]]
    segments: dict[str, tuple[int, int | None]]  # name -> (min employees, max or None)
    reps: dict[str, Rep]
    rules: tuple[RoutingRule, ...]
    fallback_rep: str | None
    fallback_queue: str | None
    queues: dict[str, Queue]

    def rep(self, rep_id: str) -> Rep:
        try:
            return self.reps[rep_id]
        except KeyError:
            raise ValueError(f"no rep {rep_id!r} on the roster {self.path}") from None

    def segment_for(self, company_size: int | None) -> str | None:
        if company_size is None:
            return None
        for name, (low, high) in self.segments.items():
            if company_size >= low and (high is None or company_size <= high):
                return name
        return None

    def owner_of(self, domain: str | None) -> Rep | None:
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


# -- the roster file ---------------------------------------------------------------------------
# Declared as it is written; `load_roster` turns it into the Rep and RoutingRule objects above
# (regions expanded to countries, reps by id).


class _Matching(CheckedValue):
    """Text matching `pattern` (lower-cased first when `lower`), else `problem`."""

    pattern: re.Pattern
    problem = ""
    lower = False

    @classmethod
    def validate(cls, value: Any) -> str:
        text = Text.validate(value)
        text = text.lower() if cls.lower else text
        if not cls.pattern.match(text):
            raise ValueError(cls.problem.format(text))
        return text


class RepId(_Matching):
    pattern = re.compile(r"^[a-z0-9][a-z0-9._-]{0,63}$")
    problem = "must be lower-case letters, digits, '.', '_' or '-', got {!r}"


class CompanyDomain(_Matching):
    pattern = re.compile(r"^(?=.{1,253}$)([a-z0-9-]+\.)+[a-z]{2,63}$")
    problem = "{!r} is not a company domain like acme.com"
    lower = True


class EmailAddress(CheckedValue):
    @classmethod
    def validate(cls, value: Any) -> str:
        try:
            validate_email(Text.validate(value), check_deliverability=False)
        except EmailNotValidError as exc:
            raise ValueError(f"{value!r} is not an email address ({exc})") from None
        return value


class TimeZoneName(CheckedValue):
    @classmethod
    def validate(cls, value: Any) -> str:
        zone(Text.validate(value))  # raises a ValueError that says what is wrong
        return value


class CountryCode(CheckedValue):
    @classmethod
    def validate(cls, value: Any) -> str:
        if value not in country_codes():
            raise ValueError(_not_a_country(value))
        return value


class Territory(CheckedValue):
    """A country code or a region name (checked against the regions by RosterFile)."""

    @classmethod
    def validate(cls, value: Any) -> str:
        if not isinstance(value, str):
            raise ValueError(_not_a_country(value, regions={}))
        return value


class EmployeeBand(CheckedValue):
    """ "1-199" or "1000+", read as (low, high or None)."""

    @classmethod
    def validate(cls, value: Any) -> tuple[int, int | None]:
        match = _SEGMENT_BAND.match(str(value).replace(" ", ""))
        if not match:
            raise ValueError(f'must be an employee band like "1-199" or "1000+", got {value!r}')
        low, high = int(match.group(1)), (int(match.group(2)) if match.group(2) else None)
        if high is not None and high < low:
            raise ValueError(f"band {value!r} ends before it starts")
        return low, high


class WorkingHours(CheckedValue):
    """{"mon-fri": ["09:00-12:00", "13:00-17:00"], "sat": "10:00-14:00"}, read as
    weekday (0 = Monday) -> ordered, non-overlapping (start, end) local times."""

    @classmethod
    def validate(cls, value: Any) -> dict[int, tuple[tuple[time, time], ...]]:
        if not isinstance(value, dict):
            raise TypeError(f"must be a mapping of days to hours, got {kind(value)}")
        hours: dict[int, tuple[tuple[time, time], ...]] = {}
        for spec, ranges in value.items():
            try:
                days, day_ranges = _weekdays(str(spec)), _time_ranges(ranges)
            except ValueError as exc:
                raise ProblemAt((spec,), str(exc)) from None
            for day in days:
                if day in hours:
                    raise ProblemAt((spec,), f"{WEEKDAYS[day]} is given more than once")
                hours[day] = day_ranges
        if not hours:
            raise ValueError("must give working hours for at least one day")
        return hours


def _weekdays(spec: str) -> list[int]:
    """ "mon-fri" -> [0..4]; "mon,wed" -> [0, 2]; "sat" -> [5]."""
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


def _time_ranges(value: Any) -> tuple[tuple[time, time], ...]:
    ranges = []
    for text in value if isinstance(value, list) else [value]:
        match = _TIME_RANGE.match(str(text).replace(" ", ""))
        if not match:
            raise ValueError(f'must be "HH:MM-HH:MM" or a list of them (e.g. lunch gaps), got {text!r}')
        start, end = time(int(match[1]), int(match[2])), time(int(match[3]), int(match[4]))
        if end <= start:
            raise ValueError(f"{text!r} ends before it starts")
        ranges.append((start, end))
    ranges.sort()
    for (_, previous_end), (next_start, _) in zip(ranges, ranges[1:]):
        if next_start < previous_end:
            raise ValueError("time ranges overlap")
    return tuple(ranges)


class RepEntry(ConfigModel):
    id: Checked[str, RepId]
    name: Text
    email: Checked[str, EmailAddress]
    timezone: Checked[str, TimeZoneName]
    working_hours: Checked[dict[int, tuple[tuple[time, time], ...]], WorkingHours]
    territories: tuple[Checked[str, Territory], ...]
    segments: tuple[Text, ...]
    industries: tuple[Text, ...] = ()
    weight: Checked[int, integer(minimum=1, maximum=1000)] = 1
    daily_meeting_cap: Checked[int, integer(minimum=1, maximum=50)]
    active: Checked[bool, Flag] = True
    accounts: tuple[Checked[str, CompanyDomain], ...] = ()  # owned company domains


class RuleConditions(ConfigModel):
    territory: tuple[Checked[str, Territory], ...] | None = None
    segment: tuple[Text, ...] | None = None
    industry: tuple[Text, ...] | None = None


class RuleEntry(ConfigModel):
    name: Text
    when: RuleConditions = RuleConditions()
    reps: tuple[Text, ...] | None = None
    match_on: tuple[Checked[str, choice(RULE_FACTS, "routing fact")], ...] = ()

    @root_validator(skip_on_failure=True)
    def _some_reps(cls, values):
        if values["reps"] is None and not values["match_on"]:
            raise ProblemAt(
                ("reps",), "give the rule's reps, or `match_on` to pick the reps covering the lead, or both"
            )
        return values


class Fallback(ConfigModel):
    rep: Text | None = None
    queue: Text | None = None

    @root_validator(skip_on_failure=True)
    def _exactly_one(cls, values):
        if (values["rep"] is None) == (values["queue"] is None):
            raise ValueError("must name exactly one of `rep` (a rep id) or `queue` (a queue name)")
        return values


class QueueEntry(ConfigModel):
    email: Checked[str, EmailAddress]
    timezone: Checked[str, TimeZoneName]
    working_hours: Checked[dict[int, tuple[tuple[time, time], ...]], WorkingHours]


class RosterFile(ConfigModel):
    meetings: MeetingSettings
    regions: dict[str, tuple[Checked[str, CountryCode], ...]] = {}
    segments: dict[str, Checked[tuple[int, int | None], EmployeeBand]]
    reps: tuple[RepEntry, ...]
    routing_rules: tuple[RuleEntry, ...]
    fallback: Fallback
    queues: dict[str, QueueEntry] = {}

    @validator("regions")
    def _region_names(cls, regions):
        for name in regions:
            if not re.fullmatch(r"[a-z][a-z0-9_-]*", name):
                raise ProblemAt((name,), "region names are lower-case words (country codes are upper-case)")
        return regions

    @validator("segments")
    def _bands_apart(cls, segments):
        if not segments:
            raise ValueError("must define at least one company-size band")
        seen: dict[str, tuple[int, int | None]] = {}
        for name, (low, high) in segments.items():
            for other, (other_low, other_high) in seen.items():
                if low <= _or_infinity(other_high) and other_low <= _or_infinity(high):
                    raise ProblemAt((name,), f"band {low}-{high or ''} overlaps segment {other!r}")
            seen[name] = (low, high)
        return segments

    _some_reps = at_least_one("reps", "rep")

    @root_validator(skip_on_failure=True)
    def _names_refer_to_what_is_defined(cls, values):
        regions, segments = values["regions"], values["segments"]
        rep_ids: list[str] = []
        owners: dict[str, str] = {}
        for index, rep in enumerate(values["reps"]):
            if rep.id in rep_ids:
                raise ProblemAt(("reps", index, "id"), f"duplicate rep id {rep.id!r}")
            rep_ids.append(rep.id)
            _check_known(("reps", index, "territories"), rep.territories, regions)
            _check_known(("reps", index, "segments"), rep.segments, segments, "segment")
            for domain in rep.accounts:
                if domain in owners:
                    raise ProblemAt(("reps",), f"account {domain!r} is owned by both {owners[domain]!r} and {rep.id!r}")
                owners[domain] = rep.id
        names: set[str] = set()
        for index, rule in enumerate(values["routing_rules"]):
            if rule.name in names or rule.name in ("account_owner", "fallback"):
                raise ProblemAt(("routing_rules", index, "name"), f"rule name {rule.name!r} is used twice or reserved")
            names.add(rule.name)
            _check_known(("routing_rules", index, "when", "territory"), rule.when.territory or (), regions)
            _check_known(("routing_rules", index, "when", "segment"), rule.when.segment or (), segments, "segment")
            _check_known(("routing_rules", index, "reps"), rule.reps or (), rep_ids, "rep")
        fallback_rep = values["fallback"].rep
        if fallback_rep is not None and fallback_rep not in rep_ids:
            raise ProblemAt(("fallback", "rep"), f"no rep with id {fallback_rep!r}")
        # A lead sent to a queue must reach a person: the queue needs an address and hours.
        fallback_queue = values["fallback"].queue
        if fallback_queue is not None and fallback_queue not in values.get("queues", {}):
            raise ProblemAt(
                ("fallback", "queue"), f"no queue {fallback_queue!r} under `queues` (give its email and hours)"
            )
        return values


def _check_known(at: tuple, names: tuple[str, ...], known, what: str | None = None) -> None:
    """Each name must be in `known`; without `what`, names are territories (regions or countries)."""
    for index, name in enumerate(names):
        if what is None and name not in known and name not in country_codes():
            raise ProblemAt((*at, index), _not_a_country(name, known))
        if what is not None and name not in known:
            raise ProblemAt((*at, index), f"unknown {what} {name!r} (known: {', '.join(sorted(known))})")


def load_roster(path: Path | str) -> Roster:
    """Validate the whole file (a ConfigError names the file, the key and the problem)."""
    roster = parse_config(RosterFile, path)

    def countries(territories: tuple[str, ...]) -> frozenset[str]:
        return frozenset().union(*(roster.regions.get(name, {name}) for name in territories))

    reps = {
        rep.id: Rep(
            id=rep.id,
            name=rep.name,
            email=rep.email,
            timezone=rep.timezone,
            working_hours=rep.working_hours,
            countries=countries(rep.territories),
            segments=frozenset(rep.segments),
            industries=frozenset(industry.lower() for industry in rep.industries),
            weight=rep.weight,
            daily_meeting_cap=rep.daily_meeting_cap,
            active=rep.active,
            accounts=frozenset(rep.accounts),
        )
        for rep in roster.reps
    }
    rules = []
    for rule in roster.routing_rules:
        when = {}
        if rule.when.territory is not None:
            when["territory"] = countries(rule.when.territory)
        if rule.when.segment is not None:
            when["segment"] = frozenset(rule.when.segment)
        if rule.when.industry is not None:
            when["industry"] = frozenset(industry.lower() for industry in rule.when.industry)
        rules.append(RoutingRule(name=rule.name, when=when, reps=rule.reps, match_on=rule.match_on))
    return Roster(
        path=str(path),
        meetings=roster.meetings,
        regions={name: frozenset(codes) for name, codes in roster.regions.items()},
        segments=roster.segments,
        reps=reps,
        rules=tuple(rules),
        fallback_rep=roster.fallback.rep,
        fallback_queue=roster.fallback.queue,
        queues={
            name: Queue(name, queue.email, queue.timezone, queue.working_hours) for name, queue in roster.queues.items()
        },
    )


def _or_infinity(high: int | None) -> float:
    return math.inf if high is None else high


def _not_a_country(value, regions: dict | None = None) -> str:
    if isinstance(value, bool):
        return "write country codes in quotes: YAML reads a bare NO (Norway) or YES as true/false"
    region_hint = " nor a region defined under `regions`" if regions is not None else ""
    return f"{value!r} is neither an ISO 3166 country code (upper-case, e.g. DE){region_hint}"
