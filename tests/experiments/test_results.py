"""The statistics against values worked out by hand, and the figures of a seeded database."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest

from experiments import DecisionRules, experiment_results, two_proportion_z_test, verdict, wilson
from leaddb.experiments import LeadExperiment
from leaddb.leads import Lead, StageTransition

from .conftest import config_of

T0 = datetime(2026, 11, 2, 9, 0, tzinfo=timezone.utc)


def test_wilson_interval_matches_the_hand_computed_one():
    # 10 of 100, z = 1.959964: centre (0.1 + z²/200) / (1 + z²/100) = 0.114797,
    # half-width z·sqrt(0.1·0.9/100 + z²/40000) / (1 + z²/100) = 0.059569.
    rate = wilson(10, 100)
    assert rate.rate == 0.1
    assert rate.low == pytest.approx(0.055229, abs=1e-5)
    assert rate.high == pytest.approx(0.174366, abs=1e-5)
    # None of 20: the interval still has width (0 to z²/(n+z²) = 0.161125), unlike p ± z·se.
    nothing = wilson(0, 20)
    assert (nothing.low, nothing.high) == (pytest.approx(0.0, abs=1e-12), pytest.approx(0.161125, abs=1e-5))
    assert wilson(0, 0).rate is None


def test_two_proportion_z_test_matches_the_hand_computed_one():
    # 20/200 against 40/200: pooled 0.15, se sqrt(0.15·0.85·(1/200+1/200)) = 0.035707,
    # z = 0.10 / 0.035707 = 2.8006, two-sided p = 2·(1 − Φ(2.8006)) = 0.00510.
    result = two_proportion_z_test((20, 200), (40, 200))
    assert result.z == pytest.approx(2.8006, abs=1e-4)
    assert result.p == pytest.approx(0.00510, abs=1e-5)
    assert two_proportion_z_test((40, 200), (20, 200)).z == pytest.approx(-2.8006, abs=1e-4)
    assert two_proportion_z_test((0, 100), (0, 100)).p is None  # nobody converted: nothing to compare
    assert two_proportion_z_test((0, 0), (5, 100)).p is None


def test_the_verdict_in_words():
    better = two_proportion_z_test((20, 200), (40, 200))
    assert verdict("A", "B", "booked", (20, 200), (40, 200), better) == "B converts better than A (p=0.005)"
    worse = two_proportion_z_test((40, 200), (20, 200))
    assert verdict("A", "B", "booked", (40, 200), (20, 200), worse) == "B converts worse than A (p=0.005)"
    same = two_proportion_z_test((20, 200), (24, 200))
    assert verdict("A", "B", "booked", (20, 200), (24, 200), same) == "no clear difference yet (p=0.52)"
    small = two_proportion_z_test((20, 60), (40, 150))
    assert verdict("A", "B", "sql", (20, 60), (40, 150), small) == (
        "too few visitors: 40 more needed for A (at least 100 per variant)"
    )
    few = two_proportion_z_test((4, 300), (12, 300))
    assert verdict("A", "B", "booked", (4, 300), (12, 300), few) == (
        "too few bookings: 6 more bookings needed for A (at least 10 per variant)"
    )


def test_the_verdict_follows_the_files_decision_rules():
    # 20/200 against 40/200 is p = 0.005: real at 0.05, not at 0.001; 200 visitors are too few at 300.
    better = two_proportion_z_test((20, 200), (40, 200))
    strict = DecisionRules(significance=0.001)
    assert verdict("A", "B", "booked", (20, 200), (40, 200), better, strict) == "no clear difference yet (p=0.005)"
    patient = DecisionRules(min_visitors=300)
    assert verdict("A", "B", "booked", (20, 200), (40, 200), better, patient) == (
        "too few visitors: 100 more needed for A, 100 more needed for B (at least 300 per variant)"
    )


def _seed(session, experiment: str, variant: str, visitor: str, stages: list[str], before: bool = False) -> None:
    lead = Lead(visitor_id=visitor, stage="visitor")
    session.add(lead)
    session.flush()
    session.add(LeadExperiment(lead_id=lead.id, experiment=experiment, variant=variant, assigned_at=T0))
    at = T0 - timedelta(days=1) if before else T0 + timedelta(hours=1)
    for stage in stages:
        session.add(StageTransition(lead_id=lead.id, to_stage=stage, reason="seeded", created_at=at))


def test_figures_of_a_seeded_database(tmp_path, store):
    config = config_of(
        tmp_path,
        """
        experiments:
          opening:
            enabled: true
            goal: booked
            variants:
              - {name: control}
              - {name: direct, opening: utter_greet_direct}
        """,
    )
    # control: 200 visitors, 40 SQL, 20 booked; direct: 200 visitors, 60 SQL, 40 booked.
    with store.session() as session:
        for number in range(200):
            stages = ["sql", "meeting_booked"] if number < 20 else ["sql"] if number < 40 else []
            _seed(session, "opening", "control", f"c{number}", stages)
        for number in range(200):
            stages = ["sql", "meeting_booked"] if number < 40 else ["sql"] if number < 60 else []
            _seed(session, "opening", "direct", f"d{number}", stages)
        # An SQL from before the visitor was assigned is not the variant's doing.
        _seed(session, "opening", "direct", "d-old", ["sql"], before=True)
    [result] = experiment_results(store, config)
    control, direct = result.variants
    assert (control.visitors, control.sql.count, control.booked.count) == (200, 40, 20)
    assert (direct.visitors, direct.sql.count, direct.booked.count) == (201, 60, 40)
    assert direct.booked.rate == pytest.approx(40 / 201)
    assert direct.versus_control is not None and direct.versus_control.p == pytest.approx(
        two_proportion_z_test((20, 200), (40, 201)).p
    )
    assert direct.verdict is not None and direct.verdict.startswith("direct converts better than control (p=0.00")
    assert control.verdict is None and result.warning is None


def test_a_young_experiment_warns_and_says_what_is_missing(tmp_path, store):
    config = config_of(
        tmp_path,
        """
        experiments:
          times:
            enabled: true
            goal: sql
            variants:
              - {name: three}
              - {name: five, offered_times: 5}
        """,
    )
    with store.session() as session:
        for number in range(30):
            _seed(session, "times", "three", f"t{number}", ["sql"] if number < 3 else [])
        for number in range(20):
            _seed(session, "times", "five", f"f{number}", [])
    [result] = experiment_results(store, config)
    assert result.warning is not None and "fewer than 100 visitors or 10 SQLs" in result.warning
    assert result.variants[1].verdict == (
        "too few visitors: 70 more needed for three, 80 more needed for five (at least 100 per variant)"
    )
    assert [variant.sql.rate for variant in result.variants] == [0.1, 0.0]
