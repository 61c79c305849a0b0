"""Behaviour score: what a visitor did on the website, turned into explained points.

The rules live in `config/behaviour.yml` (documented there). `score_behaviour` is a pure
function of the rules, the visitor's events and `now`, so it is easy to test and to replay.
Every point comes with a part `{rule, group, points, when, event_type, detail}`; the parts
always add up to the total, including what a group cap cut off.
"""

from __future__ import annotations

import fnmatch
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any, Protocol
from urllib.parse import urlsplit

from pydantic import Field, root_validator, validator

from appconfig.yamlfile import (
    Checked,
    CheckedValue,
    ConfigModel,
    Flag,
    Number,
    ProblemAt,
    Text,
    at_least_one,
    choice,
    integer,
    number,
    parse_config,
)
from leaddb.events import EVENT_TYPES


class ScorableEvent(Protocol):
    """What scoring needs from an event (`leaddb.events.TrackedEvent` has it)."""

    # Read-only, so frozen dataclasses such as TrackedEvent match.
    @property
    def type(self) -> str: ...
    @property
    def url(self) -> str | None: ...
    @property
    def occurred_at(self) -> datetime: ...
    @property
    def properties(self) -> Mapping[str, Any]: ...


# -- the rules file (config/behaviour.yml, documented there) --------------------------------


class EventTypes(CheckedValue):
    """One event type or a list of them, read as a frozenset."""

    @classmethod
    def validate(cls, value: Any) -> frozenset[str]:
        types = _strings(value)
        for event_type in types:
            if event_type not in EVENT_TYPES:
                raise ValueError(f"unknown event type {event_type!r} (expected one of: {', '.join(EVENT_TYPES)})")
        return frozenset(types)


class PathGlobs(CheckedValue):
    """Path pattern(s) such as "/pricing*", read as one compiled pattern."""

    @classmethod
    def validate(cls, value: Any) -> re.Pattern:
        globs = _strings(value)
        for glob in globs:
            if not glob.startswith("/"):
                raise ValueError(f"path pattern {glob!r} must start with '/', e.g. '/pricing*'")
        # \A anchors each glob at the start of the path, so `search` matches whole paths only.
        return re.compile("|".join(r"\A" + fnmatch.translate(glob.lower()) for glob in globs))


class UrlRegex(CheckedValue):
    @classmethod
    def validate(cls, value: Any) -> re.Pattern:
        try:
            return re.compile(Text.validate(value), re.IGNORECASE)
        except re.error as exc:
            raise ValueError(f"is not a valid regular expression: {exc}") from None


class Domains(CheckedValue):
    """One domain or a list of them, lower-cased."""

    @classmethod
    def validate(cls, value: Any) -> tuple[str, ...]:
        domains = tuple(domain.strip().lower() for domain in _strings(value))
        for domain in domains:
            if "." not in domain or any(character in domain for character in "@/ "):
                raise ValueError(f"{domain!r} is not a domain such as example.com")
        return domains


def _strings(value: Any) -> list[str]:
    """A value that may be one string or a list of strings."""
    values = value if isinstance(value, list) else [value]
    if not values:
        raise ValueError("must not be an empty list")
    for item in values:
        if not isinstance(item, str) or not item.strip():
            raise TypeError(f"must be text or a list of text, got {item!r}")
    return values


class Group(ConfigModel):
    cap: Checked[float, number(minimum=0)] | None = None


class Rule(ConfigModel):
    name: Text
    group: Text
    points: Number
    event_types: Checked[frozenset[str], EventTypes] = Field(frozenset(), alias="event_type")  # empty: any type
    url: Checked[re.Pattern[str], PathGlobs] | None = None  # searched in the lower-cased path
    url_regex: Checked[re.Pattern[str], UrlRegex] | None = None
    domains: Checked[tuple[str, ...], Domains] = ()
    decay: Checked[bool, Flag] = True

    @validator("points")
    def _not_zero(cls, points):
        if points == 0:
            raise ValueError("must not be 0 (delete the rule instead)")
        return points

    @root_validator(skip_on_failure=True)
    def _one_url_and_some_condition(cls, values):
        if values["url"] is not None and values["url_regex"] is not None:
            raise ProblemAt(("url_regex",), "give either url (path patterns) or url_regex, not both")
        if not (values["event_types"] or values["url"] or values["url_regex"] or values["domains"]):
            raise ProblemAt(("event_type",), "is required unless the rule has url, url_regex or domains")
        return values

    def matches(self, event_type: str, path: str | None, domains: Sequence[str]) -> bool:
        if self.event_types and event_type not in self.event_types:
            return False
        url_pattern = self.url or self.url_regex
        if url_pattern is not None and (path is None or not url_pattern.search(path)):
            return False
        return not (self.domains and not any(_in_domain(domain, self.domains) for domain in domains))


class RecentEventsCondition(ConfigModel):
    event_type: Checked[str, choice(EVENT_TYPES, "event type")]
    at_least: Checked[int, integer(minimum=1)]
    within_days: Checked[float, number(minimum=0.001)]


class HighIntent(ConfigModel):
    score_at_least: Number | None = None
    recent_events: tuple[RecentEventsCondition, ...] = ()
    not_after_rules: tuple[Text, ...] = ()

    @root_validator(skip_on_failure=True)
    def _some_condition(cls, values):
        if values["score_at_least"] is None and not values["recent_events"]:
            raise ProblemAt(("score_at_least",), "give score_at_least or recent_events (or both)")
        return values


class BehaviourRules(ConfigModel):
    half_life_days: Checked[float, number(minimum=0.001)]
    ignore_after_days: Checked[float, number(minimum=1)]
    page_types: dict[str, Checked[re.Pattern[str], PathGlobs]] = {}  # event type -> path pattern, first match wins
    groups: dict[str, Group]
    rules: tuple[Rule, ...]
    high_intent: HighIntent

    @validator("page_types")
    def _page_types_are_event_types(cls, page_types):
        for event_type in page_types:
            if event_type not in EVENT_TYPES or event_type == "page_view":
                raise ProblemAt((event_type,), f"unknown event type (expected one of: {', '.join(EVENT_TYPES[1:])})")
        return page_types

    @validator("groups", pre=True)
    def _empty_group_has_no_cap(cls, groups):
        return (
            {name: {} if group is None else group for name, group in groups.items()}
            if isinstance(groups, dict)
            else groups
        )

    _some_rules = at_least_one("rules", "rule")

    @root_validator(skip_on_failure=True)
    def _rules_name_groups_and_rules(cls, values):
        names: set[str] = set()
        for index, rule in enumerate(values["rules"]):
            if rule.group not in values["groups"]:
                raise ProblemAt(
                    ("rules", index, "group"),
                    f"unknown group {rule.group!r} (define it under groups: {', '.join(values['groups'])})",
                )
            if rule.name in names:
                raise ProblemAt(("rules", index, "name"), f"duplicate rule name {rule.name!r}")
            names.add(rule.name)
        for index, name in enumerate(values["high_intent"].not_after_rules):
            if name not in names:
                raise ProblemAt(("high_intent", "not_after_rules", index), f"unknown rule {name!r}")
        return values

    def window_start(self, now: datetime) -> datetime:
        """The oldest event time that still counts: read events `since` this."""
        return now - timedelta(days=self.ignore_after_days)


def load_behaviour_rules(path: Path | str) -> BehaviourRules:
    """Read and validate the rule file; a ConfigError names the file, key and problem."""
    return parse_config(BehaviourRules, path)


@dataclass(frozen=True)
class VisitorSummary:
    """Counts the assistant can mention in its opening line."""

    page_views: int = 0  # every page, pricing pages included
    pricing_views: int = 0
    pricing_views_last_7_days: int = 0
    downloads: int = 0
    downloaded_titles: tuple[str, ...] = ()
    webinar_registrations: int = 0
    webinar_attendances: int = 0
    email_clicks: int = 0
    demo_requests: int = 0
    first_seen: datetime | None = None
    last_seen: datetime | None = None

    def describe(self) -> str:
        """A short sentence for people, e.g. '3 pricing views (3 in the last 7 days), 1 download'."""
        bits = []
        if self.pricing_views:
            bits.append(
                f"{_plural(self.pricing_views, 'pricing view')} ({self.pricing_views_last_7_days} in the last 7 days)"
            )
        if self.downloads:
            bits.append(_plural(self.downloads, "download"))
        if self.webinar_registrations:
            bits.append(_plural(self.webinar_registrations, "webinar registration"))
        if self.webinar_attendances:
            bits.append(_plural(self.webinar_attendances, "webinar attended", "webinars attended"))
        if self.email_clicks:
            bits.append(_plural(self.email_clicks, "email click"))
        if self.demo_requests:
            bits.append(_plural(self.demo_requests, "demo request"))
        if self.page_views:
            bits.append(_plural(self.page_views, "page view"))
        return ", ".join(bits) if bits else "no recorded activity"


@dataclass(frozen=True)
class BehaviourScore:
    total: float
    parts: list[dict[str, Any]]
    high_intent: bool
    high_intent_reason: str | None
    summary: VisitorSummary = field(default_factory=VisitorSummary)


# -- scoring ------------------------------------------------------------------------------


def score_behaviour(rules: BehaviourRules, events: Iterable[ScorableEvent], now: datetime) -> BehaviourScore:
    if now.tzinfo is None:
        raise ValueError("now must be timezone-aware")
    oldest = rules.window_start(now)
    # A visitor's events repeat a few pages and types: what depends only on (type, url) or on
    # (type, path, domains) is worked out once per distinct value, not once per event.
    effective: dict[tuple[str, str | None], tuple[str, str | None]] = {}
    counted = []  # (effective type, event) for events inside the window
    paths = []
    for event in sorted(events, key=lambda e: e.occurred_at):
        if event.occurred_at >= oldest:
            known = effective.get((event.type, event.url))
            if known is None:
                path = _path(event.url)
                known = effective[(event.type, event.url)] = (_effective_type(rules, event.type, path), path)
            counted.append((known[0], event))
            paths.append(known[1])

    parts: list[dict[str, Any]] = []
    group_sums: dict[str, float] = {}
    matched_rules: set[str] = set()
    matching: dict[tuple[str, str | None, tuple[str, ...]], list[Rule]] = {}
    for (event_type, event), path in zip(counted, paths):
        domains = _event_domains(event.properties or {})
        key = (event_type, path, domains)
        applies = matching.get(key)
        if applies is None:
            applies = matching[key] = [rule for rule in rules.rules if rule.matches(event_type, path, domains)]
        # A future timestamp (a skewed browser clock) counts as now, never as more than full points.
        age_days = max((now - event.occurred_at).total_seconds() / 86400, 0.0)
        for rule in applies:
            factor = 0.5 ** (age_days / rules.half_life_days) if rule.decay else 1.0
            points = round(rule.points * factor, 2)
            matched_rules.add(rule.name)
            group_sums[rule.group] = group_sums.get(rule.group, 0.0) + points
            parts.append(
                {
                    "rule": rule.name,
                    "group": rule.group,
                    "points": points,
                    "when": event.occurred_at.isoformat(),
                    "event_type": event_type,
                    "detail": _detail(rule, event, path, age_days, factor),
                }
            )

    for group, earned in group_sums.items():
        earned = round(earned, 2)  # a sum of 2-decimal floats may be 40.000000001
        cap = rules.groups[group].cap
        if cap is not None and abs(earned) > cap:
            limit = cap if earned > 0 else -cap
            parts.append(
                {
                    "rule": f"cap:{group}",
                    "group": group,
                    "points": round(limit - earned, 2),
                    "when": None,
                    "event_type": None,
                    "detail": f"{group} is capped at {limit:+g} points (earned {earned:+.2f})",
                }
            )

    total = round(sum(part["points"] for part in parts), 2)
    summary = _summary(counted, now)
    reason = _high_intent_reason(rules.high_intent, total, counted, matched_rules, now)
    return BehaviourScore(
        total=total, parts=parts, high_intent=reason is not None, high_intent_reason=reason, summary=summary
    )


def _effective_type(rules: BehaviourRules, event_type: str, path: str | None) -> str:
    if event_type == "page_view" and path is not None:
        for page_type, pattern in rules.page_types.items():
            if pattern.search(path):
                return page_type
    return event_type


def _path(url: str | None) -> str | None:
    if not url:
        return None
    return (urlsplit(url).path or "/").lower()


def _event_domains(properties: Mapping[str, Any]) -> tuple[str, ...]:
    if not properties:
        return ()
    found = []
    for key in ("company_domain", "email_domain", "email"):
        value = properties.get(key)
        if isinstance(value, str) and value.strip():
            found.append(value.rsplit("@", 1)[-1].strip().lower().rstrip("."))
    return tuple(found)


def _in_domain(domain: str, listed: Sequence[str]) -> bool:
    return any(domain == item or domain.endswith("." + item) for item in listed)


def _detail(rule: Rule, event: ScorableEvent, path: str | None, age_days: float, factor: float) -> str:
    what = event.type if path is None else f"{event.type} {path}"
    if rule.domains:
        what += " from a listed domain"
    if not rule.decay:
        return f"{what}: {rule.points:+g} (no decay)"
    return f"{what}, {age_days:.1f} days ago: {rule.points:+g} x {factor:.2f}"


def _summary(counted: list[tuple[str, ScorableEvent]], now: datetime) -> VisitorSummary:
    if not counted:
        return VisitorSummary()
    week_ago = now - timedelta(days=7)

    def count(event_type: str) -> int:
        return sum(1 for kind, _ in counted if kind == event_type)

    titles = []
    for kind, event in counted:
        title = (event.properties or {}).get("title")
        if kind == "content_download" and isinstance(title, str) and title not in titles:
            titles.append(title)
    return VisitorSummary(
        page_views=sum(1 for _, event in counted if event.type == "page_view"),
        pricing_views=count("pricing_view"),
        pricing_views_last_7_days=sum(1 for kind, e in counted if kind == "pricing_view" and e.occurred_at >= week_ago),
        downloads=count("content_download"),
        downloaded_titles=tuple(titles),
        webinar_registrations=count("webinar_registration"),
        webinar_attendances=count("webinar_attendance"),
        email_clicks=count("email_click"),
        demo_requests=count("demo_request"),
        first_seen=counted[0][1].occurred_at,
        last_seen=counted[-1][1].occurred_at,
    )


def _high_intent_reason(
    high_intent: HighIntent,
    total: float,
    counted: list[tuple[str, ScorableEvent]],
    matched_rules: set[str],
    now: datetime,
) -> str | None:
    if matched_rules.intersection(high_intent.not_after_rules):
        return None
    for condition in high_intent.recent_events:
        since = now - timedelta(days=condition.within_days)
        recent = sum(1 for kind, event in counted if kind == condition.event_type and event.occurred_at >= since)
        if recent >= condition.at_least:
            return (
                f"{_plural(recent, condition.event_type.replace('_', ' '))} in the last {condition.within_days:g} days"
            )
    if high_intent.score_at_least is not None and total >= high_intent.score_at_least:
        return f"behaviour score {total:g} is at least {high_intent.score_at_least:g}"
    return None


def _plural(count: int, singular: str, plural: str | None = None) -> str:
    return f"{count} {singular if count == 1 else (plural or singular + 's')}"
