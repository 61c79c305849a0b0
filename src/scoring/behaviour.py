"""Behaviour score: what a visitor did on the website, turned into explained points.

The rules live in `config/behaviour.yml` (documented there). `score_behaviour` is a pure
function of the rules, the visitor's events and `now`, so it is easy to test and to replay.
Every point comes with a part `{rule, group, points, when, event_type, detail}`; the parts
always add up to the total, including what a group cap cut off.
"""
from __future__ import annotations

import fnmatch
import re
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any, Iterable, Mapping, Optional, Protocol, Sequence
from urllib.parse import urlsplit

from leaddb.events import EVENT_TYPES
from appconfig.yamlfile import ConfigError, Section, load_yaml


class ScorableEvent(Protocol):
    """What scoring needs from an event (`leaddb.events.TrackedEvent` has it)."""

    type: str
    url: Optional[str]
    occurred_at: datetime
    properties: Mapping[str, Any]


@dataclass(frozen=True)
class Rule:
    name: str
    group: str
    points: float
    event_types: frozenset[str] = frozenset()  # empty: any type
    url_pattern: Optional[re.Pattern] = None  # searched in the lower-cased path
    domains: tuple[str, ...] = ()
    decay: bool = True

    def matches(self, event_type: str, path: Optional[str], domains: Sequence[str]) -> bool:
        if self.event_types and event_type not in self.event_types:
            return False
        if self.url_pattern is not None and (path is None or not self.url_pattern.search(path)):
            return False
        if self.domains and not any(_in_domain(domain, self.domains) for domain in domains):
            return False
        return True


@dataclass(frozen=True)
class RecentEventsCondition:
    event_type: str
    at_least: int
    within_days: float


@dataclass(frozen=True)
class HighIntent:
    score_at_least: Optional[float]
    recent_events: tuple[RecentEventsCondition, ...]
    not_after_rules: frozenset[str]


@dataclass(frozen=True)
class BehaviourRules:
    half_life_days: float
    ignore_after_days: float
    page_types: tuple[tuple[str, re.Pattern], ...]  # (event type, path pattern), first match wins
    group_caps: Mapping[str, Optional[float]]
    rules: tuple[Rule, ...]
    high_intent: HighIntent

    def window_start(self, now: datetime) -> datetime:
        """The oldest event time that still counts: read events `since` this."""
        return now - timedelta(days=self.ignore_after_days)


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
    first_seen: Optional[datetime] = None
    last_seen: Optional[datetime] = None

    def describe(self) -> str:
        """A short sentence for people, e.g. '3 pricing views (3 in the last 7 days), 1 download'."""
        bits = []
        if self.pricing_views:
            bits.append(f"{_plural(self.pricing_views, 'pricing view')} ({self.pricing_views_last_7_days} in the last 7 days)")
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
    high_intent_reason: Optional[str]
    summary: VisitorSummary = field(default_factory=VisitorSummary)


# -- scoring ------------------------------------------------------------------------------


def score_behaviour(rules: BehaviourRules, events: Iterable[ScorableEvent], now: datetime) -> BehaviourScore:
    if now.tzinfo is None:
        raise ValueError("now must be timezone-aware")
    oldest = rules.window_start(now)
    counted = []  # (effective type, event) for events inside the window
    for event in sorted(events, key=lambda e: e.occurred_at):
        if event.occurred_at >= oldest:
            counted.append((_effective_type(rules, event), event))

    parts: list[dict[str, Any]] = []
    group_sums: dict[str, float] = {}
    matched_rules: set[str] = set()
    for event_type, event in counted:
        path = _path(event.url)
        domains = _event_domains(event.properties or {})
        # A future timestamp (a skewed browser clock) counts as now, never as more than full points.
        age_days = max((now - event.occurred_at).total_seconds() / 86400, 0.0)
        for rule in rules.rules:
            if not rule.matches(event_type, path, domains):
                continue
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
        cap = rules.group_caps.get(group)
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
    return BehaviourScore(total=total, parts=parts, high_intent=reason is not None, high_intent_reason=reason, summary=summary)


def _effective_type(rules: BehaviourRules, event: ScorableEvent) -> str:
    if event.type == "page_view":
        path = _path(event.url)
        if path is not None:
            for event_type, pattern in rules.page_types:
                if pattern.search(path):
                    return event_type
    return event.type


def _path(url: Optional[str]) -> Optional[str]:
    if not url:
        return None
    return (urlsplit(url).path or "/").lower()


def _event_domains(properties: Mapping[str, Any]) -> list[str]:
    found = []
    for key in ("company_domain", "email_domain", "email"):
        value = properties.get(key)
        if isinstance(value, str) and value.strip():
            found.append(value.rsplit("@", 1)[-1].strip().lower().rstrip("."))
    return found


def _in_domain(domain: str, listed: Sequence[str]) -> bool:
    return any(domain == item or domain.endswith("." + item) for item in listed)


def _detail(rule: Rule, event: ScorableEvent, path: Optional[str], age_days: float, factor: float) -> str:
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
    high_intent: HighIntent, total: float, counted: list[tuple[str, ScorableEvent]], matched_rules: set[str], now: datetime
) -> Optional[str]:
    if matched_rules & high_intent.not_after_rules:
        return None
    for condition in high_intent.recent_events:
        since = now - timedelta(days=condition.within_days)
        recent = sum(1 for kind, event in counted if kind == condition.event_type and event.occurred_at >= since)
        if recent >= condition.at_least:
            return f"{_plural(recent, condition.event_type.replace('_', ' '))} in the last {condition.within_days:g} days"
    if high_intent.score_at_least is not None and total >= high_intent.score_at_least:
        return f"behaviour score {total:g} is at least {high_intent.score_at_least:g}"
    return None


def _plural(count: int, singular: str, plural: Optional[str] = None) -> str:
    return f"{count} {singular if count == 1 else (plural or singular + 's')}"


# -- loading ------------------------------------------------------------------------------


def load_behaviour_rules(path: Path | str) -> BehaviourRules:
    """Read and validate the rule file; a ConfigError names the file, key and problem."""
    root = load_yaml(path)
    root.check_keys(["half_life_days", "ignore_after_days", "page_types", "groups", "rules", "high_intent"])

    page_types = []
    types_section = root.section("page_types", {})
    for event_type in types_section.keys():
        if event_type not in EVENT_TYPES or event_type == "page_view":
            raise types_section.error(event_type, f"unknown event type (expected one of: {', '.join(EVENT_TYPES[1:])})")
        page_types.append((event_type, _url_globs(types_section, event_type)))

    groups_section = root.section("groups")
    group_caps: dict[str, Optional[float]] = {}
    for name in groups_section.keys():
        group = groups_section.section(name, None)
        group.check_keys(["cap"])
        group_caps[name] = group.number("cap", None, minimum=0)

    rules: list[Rule] = []
    for section in root.sections("rules"):
        rule = _load_rule(section, group_caps)
        if rule.name in {earlier.name for earlier in rules}:
            raise section.error("name", f"duplicate rule name {rule.name!r}")
        rules.append(rule)
    if not rules:
        raise root.error("rules", "must list at least one rule")

    return BehaviourRules(
        half_life_days=root.number("half_life_days", minimum=0.001),
        ignore_after_days=root.number("ignore_after_days", minimum=1),
        page_types=tuple(page_types),
        group_caps=group_caps,
        rules=tuple(rules),
        high_intent=_load_high_intent(root.section("high_intent"), {rule.name for rule in rules}),
    )


def _load_rule(rule: Section, group_caps: Mapping[str, Optional[float]]) -> Rule:
    rule.check_keys(["name", "group", "points", "event_type", "url", "url_regex", "domains", "decay"])
    name = rule.str("name")
    group = rule.str("group")
    if group not in group_caps:
        raise rule.error("group", f"unknown group {group!r} (define it under groups: {', '.join(group_caps)})")
    points = rule.number("points")
    if points == 0:
        raise rule.error("points", "must not be 0 (delete the rule instead)")
    if "url" in rule and "url_regex" in rule:
        raise rule.error("url_regex", "give either url (path patterns) or url_regex, not both")
    if not any(key in rule for key in ("event_type", "url", "url_regex", "domains")):
        raise rule.error("event_type", "is required unless the rule has url, url_regex or domains")

    url_pattern = None
    if "url" in rule:
        url_pattern = _url_globs(rule, "url")
    elif "url_regex" in rule:
        url_pattern = _url_regex(rule, "url_regex")
    domains = tuple(_domains(rule, "domains")) if "domains" in rule else ()
    return Rule(
        name=name,
        group=group,
        points=points,
        event_types=frozenset(_event_types(rule, "event_type")) if "event_type" in rule else frozenset(),
        url_pattern=url_pattern,
        domains=domains,
        decay=rule.bool("decay", True),
    )


def _load_high_intent(section: Section, rule_names: set[str]) -> HighIntent:
    section.check_keys(["score_at_least", "recent_events", "not_after_rules"])
    conditions = []
    for condition in section.sections("recent_events", []):
        condition.check_keys(["event_type", "at_least", "within_days"])
        event_type = condition.str("event_type", choices=EVENT_TYPES)
        conditions.append(
            RecentEventsCondition(
                event_type=event_type,
                at_least=condition.integer("at_least", minimum=1),
                within_days=condition.number("within_days", minimum=0.001),
            )
        )
    score_at_least = section.number("score_at_least", None)
    if score_at_least is None and not conditions:
        raise section.error("score_at_least", "give score_at_least or recent_events (or both)")
    not_after = section.list("not_after_rules", [])
    for index, name in enumerate(not_after):
        if name not in rule_names:
            raise ConfigError(section.path, f"{section.where('not_after_rules')}[{index}]", f"unknown rule {name!r}")
    return HighIntent(score_at_least=score_at_least, recent_events=tuple(conditions), not_after_rules=frozenset(not_after))


def _strings(section: Section, key: str) -> list[str]:
    """A value that may be one string or a list of strings."""
    value = section.raw(key)
    values = value if isinstance(value, list) else [value]
    if not values:
        raise section.error(key, "must not be an empty list")
    for item in values:
        if not isinstance(item, str) or not item.strip():
            raise section.error(key, f"must be text or a list of text, got {item!r}")
    return values


def _event_types(section: Section, key: str) -> list[str]:
    values = _strings(section, key)
    for value in values:
        if value not in EVENT_TYPES:
            raise section.error(key, f"unknown event type {value!r} (expected one of: {', '.join(EVENT_TYPES)})")
    return values


def _url_globs(section: Section, key: str) -> re.Pattern:
    globs = _strings(section, key)
    for glob in globs:
        if not glob.startswith("/"):
            raise section.error(key, f"path pattern {glob!r} must start with '/', e.g. '/pricing*'")
    # \A anchors each glob at the start of the path, so `search` matches whole paths only.
    return re.compile("|".join(r"\A" + fnmatch.translate(glob.lower()) for glob in globs))


def _url_regex(section: Section, key: str) -> re.Pattern:
    expression = section.str(key)
    try:
        return re.compile(expression, re.IGNORECASE)
    except re.error as exc:
        raise section.error(key, f"is not a valid regular expression: {exc}") from None


def _domains(section: Section, key: str) -> list[str]:
    domains = [domain.strip().lower() for domain in _strings(section, key)]
    for domain in domains:
        if "." not in domain or any(character in domain for character in "@/ "):
            raise section.error(key, f"{domain!r} is not a domain such as example.com")
    return domains
