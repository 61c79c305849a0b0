"""The first decision: tiers for typical B2B visitors, gate and threshold edges, config errors."""

import pytest

from appconfig.yamlfile import ConfigError
from scoring.qualification import QualificationFacts, decide, facts_from_record, load_qualification_rules

# The tests' own rules, so an operator's edit of config/scoring.yml never turns them red
# (tests/test_shipped_config.py checks that the shipped file loads).
RULES_YML = """\
version: 1
thresholds:
  sql: 60
  mql: 30
sql_gates:
  authority_in: [decision_maker, influencer]
  need_stated: true
  max_timeline_days: 100
  min_annual_budget_usd: 5000
disqualify:
  authority_in: [none]
bant:
  need:
    stated: 15
    unknown: 0
  authority:
    decision_maker: 25
    influencer: 15
    user: 5
    unknown: 0
    none: 0
  budget:
    bands:
      - {min_annual_usd: 100000, points: 25}
      - {min_annual_usd: 25000, points: 20}
      - {min_annual_usd: 5000, points: 12}
      - {min_annual_usd: 1, points: 4}
    no_budget: -5
    unknown: 0
  timeline:
    bands:
      - {max_days: 30, points: 25}
      - {max_days: 100, points: 18}
      - {max_days: 180, points: 8}
      - {max_days: 365, points: 3}
    open_ended: 0
    unknown: 0
fit:
  company_size:
    bands:
      - {min_employees: 200, points: 10}
      - {min_employees: 50, points: 8}
      - {min_employees: 10, points: 4}
      - {min_employees: 1, points: 0}
    unknown: 0
  email:
    work_domain: 5
    free_mail: -10
behaviour:
  weight: 0.5
  max_points: 30
  min_points: -40
currency_to_usd:
  USD: 1.0
  EUR: 1.08
"""


def write_rules(tmp_path, text=RULES_YML):
    path = tmp_path / "scoring.yml"
    path.write_text(text)
    return path


@pytest.fixture(scope="module")
def rules(tmp_path_factory):
    return load_qualification_rules(write_rules(tmp_path_factory.mktemp("rules")))


CTO = dict(
    need="our reps lose leads between tools",
    authority="decision_maker",
    budget_amount=50_000,
    budget_currency="USD",
    timeline_days=30,
    company_size=120,
    email_is_free_mail=False,
)


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
    assert decide(rules, QualificationFacts(**facts)).tier == tier


def test_parts_add_up_and_reasons_explain(rules):
    decision = decide(rules, QualificationFacts(**CTO))
    assert decision.score == sum(part.points for part in decision.parts)
    assert {part.group for part in decision.parts} == {"bant", "fit"}
    assert decision.reasons[0].startswith("score 98")
    assert any("decision maker" in reason for reason in decision.reasons)


def test_held_at_mql_says_which_gate_failed(rules):
    decision = decide(rules, QualificationFacts(**{**CTO, "authority": "user", "company_size": 5000}))
    assert decision.tier == "mql"
    assert "authority is user" in decision.reasons[0]


def test_per_month_budget_counts_twelve_times(rules):
    monthly = decide(rules, QualificationFacts(budget_amount=3_000, budget_currency="USD", budget_period="month"))
    part = next(p for p in monthly.parts if p.group == "bant" and "budget" in p.rule)
    assert part.rule == "bant.budget.min_25000"


@pytest.mark.parametrize("days, points", [(0, 25), (30, 25), (31, 18), (100, 18), (101, 8), (365, 3), (366, 0)])
def test_timeline_band_edges(rules, days, points):
    part = next(p for p in decide(rules, QualificationFacts(timeline_days=days)).parts if "timeline" in p.rule)
    assert part.points == points


def test_threshold_edges(rules):
    # 25 (decision maker) + 25 (≤30 days) + 15 (need) = 65 ≥ 60, and no budget stated passes the gate.
    at = QualificationFacts(need="x", authority="decision_maker", timeline_days=10)
    assert decide(rules, at).tier == "sql"
    # 15 + 18 = 33 ≥ 30 (MQL) but < 60.
    assert decide(rules, QualificationFacts(need="x", timeline_days=60)).tier == "mql"
    # 15 + 8 + 5 = 28 < 30.
    assert decide(rules, QualificationFacts(need="x", timeline_days=150, authority="user")).tier == "unqualified"


def test_unknown_currency_is_not_scored_as_usd(rules):
    decision = decide(rules, QualificationFacts(budget_amount=1_000_000, budget_currency="XYZ"))
    assert next(p for p in decision.parts if "budget" in p.rule).rule == "bant.budget.unknown"


def test_facts_from_record_treats_unknown_need_as_missing():
    assert facts_from_record({"need": "unknown", "authority": None}).need is None
    assert facts_from_record({"need": "unknown", "authority": None}).authority == "unknown"


def _broken(tmp_path, old, new):
    text = RULES_YML.replace(old, new, 1)
    assert text != RULES_YML, f"test setup: {old!r} not in the rules"
    return write_rules(tmp_path, text)


@pytest.mark.parametrize(
    "old, new, message",
    [
        ("  sql: 60\n", "  sql: high\n", "thresholds.sql: must be a number, got text 'high'"),
        ("  mql: 30\n", "  mql: 90\n", "thresholds.mql: must not be above the sql threshold"),
        (
            "authority_in: [none]",
            "authority_in: [nobody]",
            "disqualify.authority_in[0]: unknown authority level 'nobody'",
        ),
        ("  none: 0\n", "", "bant.authority.none: is required"),
        (
            "  email:\n    work_domain: 5\n    free_mail: -10\n",
            "  email: 5\n",
            "fit.email: must be a mapping, got a number",
        ),
        ("version: 1\n", "", "version: is required"),
        (
            "    stated: 15",
            "    stated: 15\n    stated_loudly: 30",
            "bant.need.stated_loudly: unknown key (expected one of: stated, unknown)",
        ),
        (
            "{min_annual_usd: 100000, points: 25}",
            "{min_annual_usd: 1, points: 25}",
            "bant.budget.bands: bands must be ordered",
        ),
        ("  EUR: 1.08", "  euro: 1.08", "currency_to_usd.euro: must be a three-letter ISO 4217 code"),
        ("version: 1", "version: 2", "version: only version 1 is understood"),
        ("  weight: 0.5", "  weight: -1", "behaviour.weight: must be at least 0"),
        ("  max_points: 30", "  max_points: lots", "behaviour.max_points: must be a number"),
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


# -- behaviour and the optional model ---------------------------------------------------------


def _behaviour(*points):
    return [
        {"rule": f"r{i}", "group": "g", "points": p, "when": "2026-11-20T10:00:00+00:00", "detail": f"event {i}"}
        for i, p in enumerate(points)
    ]


def test_behaviour_is_weighted_and_bounded_and_still_adds_up(rules):
    weighted = decide(rules, QualificationFacts(), _behaviour(10, 10, 15))
    assert sum(p.points for p in weighted.parts if p.group == "behaviour") == 17.5
    capped = decide(rules, QualificationFacts(), _behaviour(40, 40, 40))
    behaviour = [p for p in capped.parts if p.group == "behaviour"]
    assert sum(p.points for p in behaviour) == 30 and behaviour[-1].rule == "behaviour.max_points"
    floored = decide(rules, QualificationFacts(), _behaviour(-60, -60))
    assert sum(p.points for p in floored.parts if p.group == "behaviour") == -40
    for decision in (weighted, capped, floored):
        assert decision.score == sum(p.points for p in decision.parts)


def test_same_answers_different_history_different_tier(rules):
    answers = QualificationFacts(
        need="consolidate reporting", authority="influencer", timeline_days=60, company_size=20, email_is_free_mail=True
    )  # 15 + 15 + 18 + 4 - 10 = 42: an MQL on answers alone
    quiet = decide(rules, answers)
    keen = decide(rules, answers, _behaviour(10, 10, 10, 15))  # three pricing views and a webinar: +22.5
    assert (quiet.tier, keen.tier) == ("mql", "sql")
    assert any("event 3" in reason for reason in keen.reasons)


def _tiny_model(tmp_path):
    import random

    from scoring.predictive import read_csv, train

    rng = random.Random(7)
    lines = ["Pricing Views,Company Size,Converted"]
    for _ in range(200):
        views, size = rng.randint(0, 6), rng.choice([5, 20, 80, 300, 2000])
        lines.append(f"{views},{size},{int(views + rng.random() * 3 > 4)}")
    data = tmp_path / "crm.csv"
    data.write_text("\n".join(lines) + "\n")
    model = train(read_csv(data), "Converted", folds=3)
    path = tmp_path / "lead-model.zip"
    model.save(path)
    return path


def test_a_configured_model_adds_points_by_probability(tmp_path):
    from scoring.predictive import load_model
    from scoring.qualification import model_facts, model_record

    model_path = _tiny_model(tmp_path)
    config = tmp_path / "scoring.yml"
    config.write_text(
        RULES_YML
        + f"""
model:
  path: {model_path}
  points: 20
  columns:
    "Pricing Views": pricing_views
    "Company Size": company_size
"""
    )
    rules = load_qualification_rules(config)
    model = load_model(rules.model.path)

    class Summary:
        pricing_views, page_views = 6, 10

    facts = QualificationFacts(company_size=300)
    keen = model.predict_proba([model_record(rules.model, model_facts(rules, facts, 0, Summary()))])[0]
    cold = model.predict_proba([model_record(rules.model, model_facts(rules, facts, 0, None))])[0]
    assert keen > cold  # the model learned that pricing views matter
    decision = decide(rules, facts, model_probability=keen)
    [part] = [p for p in decision.parts if p.group == "model"]
    assert part.points == round(keen * 20, 2) and "predicted conversion" in part.detail


@pytest.mark.parametrize(
    "model_yaml, message",
    [
        ("model:\n  path: nowhere.zip\n  points: 20\n  columns: {A: pricing_views}\n", "model.path: no model file"),
        (
            "model:\n  path: {path}\n  points: 20\n  columns: {A: favourite_colour}\n",
            "model.columns.A: unknown fact 'favourite_colour'",
        ),
        ("model:\n  path: {path}\n  points: 20\n  columns: {}\n", "model.columns: map at least one"),
    ],
)
def test_model_and_behaviour_config_errors(tmp_path, model_yaml, message):
    model_file = tmp_path / "m.zip"
    model_file.write_bytes(b"x")
    config = tmp_path / "scoring.yml"
    config.write_text(RULES_YML + model_yaml.replace("{path}", str(model_file)))
    with pytest.raises(ConfigError, match=message.replace("[", r"\[")):
        load_qualification_rules(config)


# -- qualifiers: a pending budget and a late earliest start hold an SQL back ------------------


def _lead_who_said(rules, budget, timeline):
    """The whole path: answers normalised and stored as lead fields, read back, decided."""
    from datetime import date

    from scoring.answers import normalise_answer

    today = date(2026, 11, 22)
    record = {key: value for key, value in CTO.items() if not key.startswith(("budget", "timeline"))}
    record.update(normalise_answer("budget", budget, today).fields)
    record.update(normalise_answer("timeline", timeline, today).fields)
    return decide(rules, facts_from_record(record))


def test_approved_budget_and_next_month_make_an_sql(rules):
    assert _lead_who_said(rules, "40k, approved", "next month").tier == "sql"


def test_a_pending_budget_is_held_at_mql_and_says_why(rules):
    decision = _lead_who_said(rules, "40k pending board approval", "next month")
    assert decision.tier == "mql"
    assert "budget 40,000 USD pending approval" in decision.reasons[0]


def test_not_before_september_next_year_is_held_at_mql_by_its_earliest_start(rules):
    decision = _lead_who_said(rules, "40k, approved", "not before September next year")
    assert decision.tier == "mql"
    assert "earliest start in 9 months (283 days) is beyond 100 days" in decision.reasons[0]


def test_the_timeline_gate_reads_the_earliest_start_and_the_score_the_day_meant(rules):
    # "next year" on 22 November: the window opens in 40 days (within the gate) but stands
    # for the middle of next year (222 days), which earns the 365-day band's points only.
    decision = _lead_who_said(rules, "40k, approved", "next year")
    part = next(p for p in decision.parts if "timeline" in p.rule)
    assert (part.rule, part.detail) == ("bant.timeline.max_365", "timeline 222 days, earliest start in 40 days")
    assert "earliest start" not in decision.reasons[0]


def test_pending_budget_passes_when_the_rules_say_so(tmp_path):
    lenient = load_qualification_rules(
        _broken(
            tmp_path,
            "  min_annual_budget_usd: 5000\n",
            "  min_annual_budget_usd: 5000\n  pending_budget_passes: true\n",
        )
    )
    assert _lead_who_said(lenient, "40k pending board approval", "next month").tier == "sql"


def test_records_stored_before_windows_and_statuses_still_decide(rules):
    old_record = {**CTO, "timeline_days": 200}  # no timeline_earliest_days, no budget_status
    facts = facts_from_record(old_record)
    assert (facts.budget_status, facts.timeline_earliest_days) == ("unstated", None)
    assert decide(rules, facts).tier == "mql"  # the gate falls back to timeline_days
    assert decide(rules, facts_from_record({**CTO})).tier == "sql"


def test_pending_budget_passes_must_be_a_flag(tmp_path):
    path = _broken(
        tmp_path, "  min_annual_budget_usd: 5000\n", "  min_annual_budget_usd: 5000\n  pending_budget_passes: maybe\n"
    )
    with pytest.raises(ConfigError, match="sql_gates.pending_budget_passes: must be true or false"):
        load_qualification_rules(path)
