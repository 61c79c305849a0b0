"""scoring.behaviour: rules as data, decay, caps, negative signals, high intent, config errors."""

from __future__ import annotations

import itertools
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest
import yaml

from appconfig.yamlfile import ConfigError
from leaddb.events import TrackedEvent
from scoring.behaviour import load_behaviour_rules, score_behaviour

NOW = datetime(2024, 5, 1, 12, 0, tzinfo=timezone.utc)
SITE = "https://www.site.test"

# Small, round numbers so every expected score below can be checked by hand.
RULES = {
    "half_life_days": 10,
    "ignore_after_days": 90,
    "page_types": {"pricing_view": ["/pricing", "/pricing/*"]},
    "groups": {
        "browsing": {"cap": 5},
        "pricing": {"cap": 30},
        "content": {},
        "careers": {"cap": 20},
        "unsubscribed": {"cap": 20},
        "competitor": {"cap": 50},
    },
    "rules": [
        {"name": "page_view", "group": "browsing", "event_type": "page_view", "points": 1},
        {"name": "pricing_view", "group": "pricing", "event_type": "pricing_view", "points": 10},
        {
            "name": "download",
            "group": "content",
            "event_type": ["content_download", "webinar_registration"],
            "points": 8,
        },
        {
            "name": "roi_blog",
            "group": "content",
            "event_type": "page_view",
            "url_regex": r"^/blog/.*\broi\b",
            "points": 4,
        },
        {
            "name": "careers_page",
            "group": "careers",
            "event_type": "page_view",
            "url": ["/careers", "/careers/*", "/jobs*"],
            "points": -10,
        },
        {"name": "unsubscribed", "group": "unsubscribed", "event_type": "unsubscribe", "points": -20, "decay": False},
        {"name": "competitor", "group": "competitor", "domains": ["rival.test"], "points": -50, "decay": False},
    ],
    "high_intent": {
        "score_at_least": 40,
        "recent_events": [{"event_type": "pricing_view", "at_least": 3, "within_days": 7}],
        "not_after_rules": ["competitor", "unsubscribed"],
    },
}

_ids = itertools.count()


def ev(event_type: str = "page_view", days_ago: float = 0, path: str | None = None, **properties) -> TrackedEvent:
    if path is None and event_type == "page_view":
        path = "/"
    return TrackedEvent(
        event_id=f"e{next(_ids)}",
        visitor_id="visitor-1",
        type=event_type,
        occurred_at=NOW - timedelta(days=days_ago),
        url=f"{SITE}{path}" if path else None,
        properties=properties,
    )


def write_rules(tmp_path: Path, rules: dict) -> Path:
    path = tmp_path / "behaviour.yml"
    path.write_text(yaml.safe_dump(rules, sort_keys=False))
    return path


@pytest.fixture
def rules(tmp_path):
    return load_behaviour_rules(write_rules(tmp_path, RULES))


def score(rules, events):
    result = score_behaviour(rules, events, NOW)
    # The explanation always adds up, whatever the case.
    assert sum(part["points"] for part in result.parts) == pytest.approx(result.total, abs=1e-9)
    for part in result.parts:
        assert set(part) == {"rule", "group", "points", "when", "event_type", "detail"}
    return result


SCORE_CASES = [
    # (case, events, expected total, expected (rule, points) parts, in order)
    ("no events", [], 0, []),
    ("fresh pricing view", [ev("pricing_view")], 10, [("pricing_view", 10)]),
    ("decay at one half-life", [ev("pricing_view", days_ago=10)], 5, [("pricing_view", 5)]),
    ("decay at two half-lives", [ev("pricing_view", days_ago=20)], 2.5, [("pricing_view", 2.5)]),
    ("future timestamp counts as now", [ev("pricing_view", days_ago=-1)], 10, [("pricing_view", 10)]),
    ("older than ignore_after_days", [ev("pricing_view", days_ago=90.01)], 0, []),
    (
        "exactly ignore_after_days still counts",
        [ev("content_download", days_ago=90)],
        0.02,
        [("download", 0.02)],
    ),  # 8 x 0.5^9
    ("no decay rule keeps full points", [ev("unsubscribe", days_ago=60)], -20, [("unsubscribed", -20)]),
    (
        "page view on a pricing path is a pricing view",
        [ev(path="/pricing/enterprise?plan=pro")],
        10,
        [("pricing_view", 10)],
    ),
    ("path patterns ignore case", [ev(path="/PRICING")], 10, [("pricing_view", 10)]),
    ("a glob is anchored at the path start", [ev(path="/blog/pricing")], 1, [("page_view", 1)]),
    ("a glob does not match a longer name", [ev(path="/pricing-history")], 1, [("page_view", 1)]),
    (
        "one event, two rules: careers page",
        [ev(path="/careers/engineer")],
        -9,
        [("page_view", 1), ("careers_page", -10)],
    ),
    ("glob with a trailing star", [ev(path="/jobs-board")], -9, [("page_view", 1), ("careers_page", -10)]),
    ("regex rule", [ev(path="/blog/the-roi-of-chat")], 5, [("page_view", 1), ("roi_blog", 4)]),
    ("regex rule no match", [ev(path="/blog/the-roiless-chat")], 1, [("page_view", 1)]),
    (
        "one rule for several types",
        [ev("content_download"), ev("webinar_registration")],
        16,
        [("download", 8), ("download", 8)],
    ),
    (
        "positive cap",
        [ev("pricing_view", days_ago=d) for d in (0, 0, 0, 0)],
        30,
        [("pricing_view", 10)] * 4 + [("cap:pricing", -10)],
    ),
    ("at the cap exactly: no cap part", [ev("pricing_view")] * 3, 30, [("pricing_view", 10)] * 3),
    (
        "negative cap",
        [ev("unsubscribe"), ev("unsubscribe", days_ago=3)],
        -20,
        [("unsubscribed", -20), ("unsubscribed", -20), ("cap:unsubscribed", 20)],
    ),
    ("group without a cap", [ev("content_download")] * 6, 48, [("download", 8)] * 6),
    ("competitor by email domain", [ev("form_submit", email="ann@sales.rival.test")], -50, [("competitor", -50)]),
    ("competitor by company domain", [ev("form_submit", company_domain="RIVAL.test")], -50, [("competitor", -50)]),
    ("a look-alike domain is not a competitor", [ev("form_submit", email="ann@notrival.test")], 0, []),
    ("event types without a rule give nothing", [ev("email_open"), ev("demo_request")], 0, []),
]


@pytest.mark.parametrize("case, events, total, parts", SCORE_CASES, ids=[case[0] for case in SCORE_CASES])
def test_scores(rules, case, events, total, parts):
    # Parts come oldest event first, in rule order for one event, cap parts last.
    result = score(rules, events)
    assert result.total == pytest.approx(total)
    assert [(part["rule"], part["points"]) for part in result.parts] == parts


def test_parts_say_when_and_why(rules):
    event = ev("pricing_view", days_ago=10)
    (part,) = score(rules, [event]).parts
    assert part["when"] == event.occurred_at.isoformat()
    assert part["group"] == "pricing" and part["event_type"] == "pricing_view"
    assert "10.0 days ago" in part["detail"] and "x 0.50" in part["detail"]


def test_a_cap_part_explains_what_it_cut(rules):
    result = score(rules, [ev("pricing_view")] * 4)
    cap = result.parts[-1]
    assert cap["rule"] == "cap:pricing" and cap["when"] is None and cap["event_type"] is None
    assert "capped at +30" in cap["detail"] and "+40.00" in cap["detail"]


HIGH_INTENT_CASES = [
    # (case, events, high intent?)
    ("third pricing view within 7 days", [ev("pricing_view", days_ago=d) for d in (0, 3, 6.9)], True),
    ("only two pricing views", [ev("pricing_view", days_ago=d) for d in (0, 3)], False),
    ("third view just outside the window", [ev("pricing_view", days_ago=d) for d in (0, 3, 7.01)], False),
    ("pricing page views count as pricing views", [ev(path="/pricing", days_ago=d) for d in (0, 1, 2)], True),
    ("score exactly at the threshold", [ev("content_download")] * 5, True),  # 40 points
    (
        "score just below the threshold",
        [ev("content_download")] * 4 + [ev("content_download", days_ago=0.01)],
        False,
    ),  # 39.99
    ("competitor never high intent", [ev("pricing_view")] * 3 + [ev("form_submit", email_domain="rival.test")], False),
    ("unsubscribed never high intent", [ev("content_download")] * 10 + [ev("unsubscribe", days_ago=60)], False),
    ("nothing", [], False),
]


@pytest.mark.parametrize("case, events, expected", HIGH_INTENT_CASES, ids=[case[0] for case in HIGH_INTENT_CASES])
def test_high_intent(rules, case, events, expected):
    result = score(rules, events)
    assert result.high_intent is expected
    assert (result.high_intent_reason is not None) is expected


def test_high_intent_reason_names_the_condition(rules):
    result = score(rules, [ev("pricing_view", days_ago=d) for d in (0, 1, 2)])
    assert result.high_intent_reason == "3 pricing views in the last 7 days"
    by_score = score(rules, [ev("content_download")] * 5)
    assert by_score.high_intent_reason == "behaviour score 40 is at least 40"


def test_visitor_summary(rules):
    events = [
        ev(path="/", days_ago=20),
        ev(path="/pricing", days_ago=9),
        ev("pricing_view", days_ago=2),
        ev(path="/pricing", days_ago=1),
        ev("content_download", days_ago=1, title="ROI guide"),
        ev("content_download", days_ago=0.5, title="ROI guide"),
        ev("webinar_registration", days_ago=0.2),
        ev("email_click", days_ago=0.1),
    ]
    summary = score(rules, events).summary
    assert (summary.page_views, summary.pricing_views, summary.pricing_views_last_7_days) == (3, 3, 2)
    assert (summary.downloads, summary.downloaded_titles) == (2, ("ROI guide",))
    assert (summary.webinar_registrations, summary.email_clicks) == (1, 1)
    assert summary.first_seen == NOW - timedelta(days=20)
    assert summary.last_seen == NOW - timedelta(days=0.1)
    assert summary.describe().startswith("3 pricing views (2 in the last 7 days), 2 downloads")


def test_naive_now_is_refused(rules):
    with pytest.raises(ValueError, match="timezone-aware"):
        score_behaviour(rules, [], datetime(2024, 5, 1))


# -- configuration errors -----------------------------------------------------------------------


def changed(change) -> dict:
    rules = yaml.safe_load(yaml.safe_dump(RULES))
    change(rules)
    return rules


CONFIG_ERRORS = [
    # (case, change to RULES, key named, problem fragment)
    ("unknown top-level key", lambda r: r.update(halflife=3), "halflife", "unknown key"),
    ("half-life is text", lambda r: r.update(half_life_days="two weeks"), "half_life_days", "must be a number"),
    ("half-life zero", lambda r: r.update(half_life_days=0), "half_life_days", "at least"),
    ("rules missing", lambda r: r.pop("rules"), "rules", "is required"),
    ("rules empty", lambda r: r.update(rules=[]), "rules", "at least one rule"),
    ("rule is not a mapping", lambda r: r["rules"].append("pricing"), "rules[7]", "must be a mapping"),
    ("misspelt rule key", lambda r: r["rules"][0].update(point=3), "rules[0].point", "unknown key"),
    ("points missing", lambda r: r["rules"][0].pop("points"), "rules[0].points", "is required"),
    ("points zero", lambda r: r["rules"][0].update(points=0), "rules[0].points", "must not be 0"),
    ("points text", lambda r: r["rules"][0].update(points="ten"), "rules[0].points", "must be a number"),
    ("unknown group", lambda r: r["rules"][1].update(group="prices"), "rules[1].group", "unknown group 'prices'"),
    (
        "unknown event type",
        lambda r: r["rules"][1].update(event_type="pricing"),
        "rules[1].event_type",
        "unknown event type 'pricing'",
    ),
    ("empty event type list", lambda r: r["rules"][1].update(event_type=[]), "rules[1].event_type", "empty list"),
    ("rule without conditions", lambda r: r["rules"][1].pop("event_type"), "rules[1].event_type", "is required unless"),
    ("url not a path", lambda r: r["rules"][4].update(url="careers*"), "rules[4].url", "must start with '/'"),
    ("url a number", lambda r: r["rules"][4].update(url=5), "rules[4].url", "must be text"),
    (
        "bad regex",
        lambda r: r["rules"][3].update(url_regex="^/blog/(roi"),
        "rules[3].url_regex",
        "not a valid regular expression",
    ),
    ("url and url_regex", lambda r: r["rules"][3].update(url="/blog/*"), "rules[3].url_regex", "not both"),
    ("decay not a boolean", lambda r: r["rules"][5].update(decay="no"), "rules[5].decay", "true or false"),
    (
        "domain is an email",
        lambda r: r["rules"][6].update(domains=["ceo@rival.test"]),
        "rules[6].domains",
        "is not a domain",
    ),
    ("duplicate rule name", lambda r: r["rules"][1].update(name="page_view"), "rules[1].name", "duplicate rule name"),
    ("negative cap", lambda r: r["groups"]["pricing"].update(cap=-5), "groups.pricing.cap", "at least 0"),
    ("unknown group key", lambda r: r["groups"]["pricing"].update(limit=5), "groups.pricing.limit", "unknown key"),
    ("unknown page type", lambda r: r["page_types"].update(pricing=["/p"]), "page_types.pricing", "unknown event type"),
    (
        "page type glob not a path",
        lambda r: r["page_types"].update(pricing_view=["pricing"]),
        "page_types.pricing_view",
        "must start with '/'",
    ),
    (
        "high intent without conditions",
        lambda r: r.update(high_intent={"not_after_rules": []}),
        "high_intent.score_at_least",
        "give score_at_least",
    ),
    (
        "high intent unknown rule",
        lambda r: r["high_intent"].update(not_after_rules=["competitors"]),
        "high_intent.not_after_rules[0]",
        "unknown rule",
    ),
    (
        "high intent count zero",
        lambda r: r["high_intent"]["recent_events"][0].update(at_least=0),
        "high_intent.recent_events[0].at_least",
        "at least 1",
    ),
    (
        "high intent count fractional",
        lambda r: r["high_intent"]["recent_events"][0].update(at_least=2.5),
        "high_intent.recent_events[0].at_least",
        "whole number",
    ),
    (
        "high intent unknown type",
        lambda r: r["high_intent"]["recent_events"][0].update(event_type="pricing"),
        "high_intent.recent_events[0].event_type",
        "unknown event type 'pricing'",
    ),
]


@pytest.mark.parametrize("case, change, key, problem", CONFIG_ERRORS, ids=[case[0] for case in CONFIG_ERRORS])
def test_config_errors_name_file_key_and_problem(tmp_path, case, change, key, problem):
    path = write_rules(tmp_path, changed(change))
    with pytest.raises(ConfigError) as raised:
        load_behaviour_rules(path)
    error = raised.value
    assert (error.path, error.key) == (str(path), key)
    assert problem in error.problem
    assert str(error).startswith(f"{path}: {key}: ")


@pytest.mark.parametrize(
    "text, problem",
    [(None, "file not found"), ("rules: [\n", "not valid YAML"), ("", "is empty"), ("- a\n- b\n", "must be a mapping")],
    ids=["missing file", "broken YAML", "empty file", "top level a list"],
)
def test_unreadable_rule_files(tmp_path, text, problem):
    path = tmp_path / "behaviour.yml"
    if text is not None:
        path.write_text(text)
    with pytest.raises(ConfigError, match=problem):
        load_behaviour_rules(path)


@pytest.mark.parametrize(
    "summary, topic",
    [
        ({"demo_requests": 1, "pricing_views": 5}, "demo"),
        ({"pricing_views": 3, "page_views": 9}, "pricing_again"),
        ({"pricing_views": 1, "webinar_attendances": 1}, "webinar"),
        ({"webinar_registrations": 1}, "webinar"),
        ({"downloads": 1, "page_views": 2}, "download"),
        ({"page_views": 4}, "returning"),
        ({"page_views": 1}, "new"),
        ({}, "new"),
    ],
)
def test_opening_topic(summary, topic):
    from scoring.behaviour import VisitorSummary
    from scoring.opening import opening_topic

    assert opening_topic(VisitorSummary(**summary)) == topic
