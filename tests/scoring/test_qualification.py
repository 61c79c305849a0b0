"""The first decision: tiers for typical B2B visitors, gate and threshold edges, config errors."""
from pathlib import Path

import pytest

from scoring.qualification import LeadFacts, decide, facts_from_record, load_qualification_rules
from yamlconfig import ConfigError

RULES_FILE = Path(__file__).resolve().parents[2] / "config" / "scoring.yml"


@pytest.fixture(scope="module")
def rules():
    return load_qualification_rules(RULES_FILE)


CTO = dict(need="our reps lose leads between tools", authority="decision_maker", budget_amount=50_000,
           budget_currency="USD", timeline_days=30, company_size=120, email_is_free_mail=False)


@pytest.mark.parametrize(
    "facts, tier",
    [
        (CTO, "sql"),
        ({**CTO, "authority": "influencer", "budget_amount": 20_000, "timeline_days": 60}, "sql"),
        ({**CTO, "budget_amount": 2_000, "budget_period": "month", "budget_currency": "EUR"}, "sql"),
        ({**CTO, "budget_amount": None}, "sql"),  # an unknown budget does not block a call
        ({**CTO, "authority": "user"}, "mql"),  # hot, but not someone who decides
        ({**CTO, "budget_amount": 0}, "mql"),  # explicitly no budget
        ({**CTO, "timeline_days": 200}, "mql"),  # beyond a quarter
        ({**CTO, "timeline_days": None, "timeline_open_ended": True}, "mql"),  # just researching
        ({**CTO, "need": None}, "mql"),
        ({**CTO, "authority": "none"}, "unqualified"),  # student / job seeker / competitor
        (dict(authority="none", need="homework"), "unqualified"),
        (dict(authority="user", need="curious", timeline_open_ended=True, email_is_free_mail=True), "unqualified"),
        (dict(authority="influencer", need="reporting", timeline_days=150, company_size=60), "mql"),
        (dict(), "unqualified"),
    ],
)
def test_tiers(rules, facts, tier):
    assert decide(rules, LeadFacts(**facts)).tier == tier


def test_parts_add_up_and_reasons_explain(rules):
    decision = decide(rules, LeadFacts(**CTO))
    assert decision.score == sum(part.points for part in decision.parts)
    assert {part.group for part in decision.parts} == {"bant", "fit"}
    assert decision.reasons[0].startswith("score 98")
    assert any("decision maker" in reason for reason in decision.reasons)


def test_held_at_mql_says_which_gate_failed(rules):
    decision = decide(rules, LeadFacts(**{**CTO, "authority": "user", "company_size": 5000}))
    assert decision.tier == "mql"
    assert "authority is user" in decision.reasons[0]


def test_per_month_budget_counts_twelve_times(rules):
    monthly = decide(rules, LeadFacts(budget_amount=3_000, budget_currency="USD", budget_period="month"))
    part = next(p for p in monthly.parts if p.group == "bant" and "budget" in p.rule)
    assert part.rule == "bant.budget.min_25000"


@pytest.mark.parametrize("days, points", [(0, 25), (30, 25), (31, 18), (100, 18), (101, 8), (365, 3), (366, 0)])
def test_timeline_band_edges(rules, days, points):
    part = next(p for p in decide(rules, LeadFacts(timeline_days=days)).parts if "timeline" in p.rule)
    assert part.points == points


def test_threshold_edges(rules):
    # 25 (decision maker) + 25 (≤30 days) + 15 (need) = 65 ≥ 60, and no budget stated passes the gate.
    at = LeadFacts(need="x", authority="decision_maker", timeline_days=10)
    assert decide(rules, at).tier == "sql"
    # 15 + 18 = 33 ≥ 30 (MQL) but < 60.
    assert decide(rules, LeadFacts(need="x", timeline_days=60)).tier == "mql"
    # 15 + 8 + 5 = 28 < 30.
    assert decide(rules, LeadFacts(need="x", timeline_days=150, authority="user")).tier == "unqualified"


def test_unknown_currency_is_not_scored_as_usd(rules):
    decision = decide(rules, LeadFacts(budget_amount=1_000_000, budget_currency="XYZ"))
    assert next(p for p in decision.parts if "budget" in p.rule).rule == "bant.budget.unknown"


def test_facts_from_record_treats_unknown_need_as_missing():
    assert facts_from_record({"need": "unknown", "authority": None}).need is None
    assert facts_from_record({"need": "unknown", "authority": None}).authority == "unknown"


def _broken(tmp_path, old, new):
    text = RULES_FILE.read_text().replace(old, new, 1)
    assert text != RULES_FILE.read_text(), f"test setup: {old!r} not in the file"
    path = tmp_path / "scoring.yml"
    path.write_text(text)
    return path


@pytest.mark.parametrize(
    "old, new, message",
    [
        ("  sql: 60 ", "  sql: high ", "thresholds.sql: must be a number, got text 'high'"),
        ("  mql: 30 ", "  mql: 90 ", "thresholds.mql: must not be above the sql threshold"),
        ("authority_in: [none]", "authority_in: [nobody]", "disqualify.authority_in[0]: unknown authority level 'nobody'"),
        ("    stated: 15", "    stated: 15\n    stated_loudly: 30", "bant.need.stated_loudly: unknown key"),
        ("{min_annual_usd: 100000, points: 25}", "{min_annual_usd: 1, points: 25}", "bant.budget.bands: bands must be ordered"),
        ("  EUR: 1.08", "  euro: 1.08", "currency_to_usd.euro: must be a three-letter ISO 4217 code"),
        ("version: 1", "version: 2", "version: only version 1 is understood"),
        ("thresholds:\n", "thresholds: [\n", "is not valid YAML at line"),
    ],
)
def test_config_errors_name_file_key_and_problem(tmp_path, old, new, message):
    path = _broken(tmp_path, old, new)
    with pytest.raises(ConfigError) as error:
        load_qualification_rules(path)
    assert str(error.value).startswith(str(path))
    assert message in str(error.value)


def test_missing_and_empty_files(tmp_path):
    with pytest.raises(ConfigError, match="file not found"):
        load_qualification_rules(tmp_path / "nope.yml")
    (tmp_path / "empty.yml").write_text("# nothing\n")
    with pytest.raises(ConfigError, match="is empty"):
        load_qualification_rules(tmp_path / "empty.yml")
