"""Stable assignment by visitor id, weights respected, stored on the lead once; the plan it gives."""

from __future__ import annotations

import hashlib
import math
from collections import Counter
from datetime import datetime, timedelta, timezone

from sqlalchemy import select

from experiments import DialoguePlan, assign, bucket, dialogue_plan, pick_variant
from leaddb.experiments import LeadExperiment
from leaddb.privacy import TrackerStore, erase_person, export_person

from .conftest import config_of

NOW = datetime(2026, 12, 3, 15, 0, tzinfo=timezone.utc)
FORM = ["need", "timeline", "authority", "budget", "company", "company_size", "person_name", "email"]
IDS = [f"visitor-{number}" for number in range(10_000)]

ONE_TO_THREE = """
experiments:
  opening:
    enabled: true
    variants:
      - {name: a, weight: 1}
      - {name: b, weight: 3, opening: utter_greet_direct}
"""


def test_the_same_visitor_always_gets_the_same_variant(tmp_path):
    experiment = config_of(tmp_path, ONE_TO_THREE).experiments["opening"]
    first = [pick_variant("opening", experiment, visitor).name for visitor in IDS[:500]]
    again = [pick_variant("opening", experiment, visitor).name for visitor in IDS[:500]]
    assert first == again
    # Fixed by the hash, not by the process: a known id keeps its bucket in every release.
    digest = hashlib.sha256(b"opening\x00visitor-1").digest()
    assert bucket("opening", "visitor-1") == int.from_bytes(digest[:8], "big") / 2**64


def test_weights_are_respected_within_sampling_error(tmp_path):
    experiment = config_of(tmp_path, ONE_TO_THREE).experiments["opening"]
    counts = Counter(pick_variant("opening", experiment, visitor).name for visitor in IDS)
    share, expected = counts["b"] / len(IDS), 0.75
    sigma = math.sqrt(expected * (1 - expected) / len(IDS))  # 0.0043
    assert abs(share - expected) < 4 * sigma, counts


def test_a_zero_weight_variant_gets_nobody_and_three_way_splits_are_even(tmp_path):
    config = config_of(
        tmp_path,
        """
        experiments:
          order:
            enabled: true
            variants:
              - {name: a, weight: 1}
              - {name: paused, weight: 0, ask_budget: false}
              - {name: b, weight: 1, question_order: [email]}
              - {name: c, weight: 1, offered_times: 5}
        """,
    )
    counts = Counter(pick_variant("order", config.experiments["order"], visitor).name for visitor in IDS)
    assert "paused" not in counts
    sigma = math.sqrt((1 / 3) * (2 / 3) / len(IDS))
    for name in ("a", "b", "c"):
        assert abs(counts[name] / len(IDS) - 1 / 3) < 4 * sigma, counts


def test_experiments_split_visitors_independently():
    """The experiment's name is hashed too: being in b of one test says nothing about another."""
    first = [bucket("one", visitor) < 0.5 for visitor in IDS]
    second = [bucket("two", visitor) < 0.5 for visitor in IDS]
    agree = sum(x == y for x, y in zip(first, second)) / len(IDS)
    assert abs(agree - 0.5) < 4 * math.sqrt(0.25 / len(IDS))


def test_the_assignment_is_stored_once_and_outlives_a_change_of_weights(tmp_path, store):
    config = config_of(tmp_path, ONE_TO_THREE)
    visitor = next(v for v in IDS if pick_variant("opening", config.experiments["opening"], v).name == "b")
    assert assign(store, config, visitor, NOW)["opening"].name == "b"
    # The operator moves everyone new to a: this visitor has seen b and stays in b.
    moved = config_of(
        tmp_path,
        """
        experiments:
          opening:
            enabled: true
            variants:
              - {name: a, weight: 1}
              - {name: b, weight: 0, opening: utter_greet_direct}
        """,
    )
    assert assign(store, moved, visitor, NOW + timedelta(days=1))["opening"].name == "b"
    with store.session() as session:
        rows = session.execute(select(LeadExperiment.variant, LeadExperiment.assigned_at)).all()
    assert rows == [("b", NOW)]
    assert assign(store, moved, "someone-new", NOW)["opening"].name == "a"


def test_a_disabled_experiment_assigns_nobody_and_changes_nothing(tmp_path, store):
    config = config_of(tmp_path, ONE_TO_THREE.replace("enabled: true", "enabled: false"))
    assert dialogue_plan(store, config, "visitor-1", NOW) == DialoguePlan()
    with store.session() as session:
        assert session.execute(select(LeadExperiment)).all() == []
    assert DialoguePlan().form_slots(FORM) == FORM


def test_the_plan_orders_the_questions_and_drops_budget(tmp_path, store):
    config = config_of(
        tmp_path,
        """
        experiments:
          questions:
            enabled: true
            variants:
              - {name: short, question_order: [email, company], ask_budget: false}
          times:
            enabled: true
            variants:
              - {name: five, offered_times: 5}
        """,
    )
    plan = dialogue_plan(store, config, "visitor-1", NOW)
    assert plan.form_slots(FORM) == ["email", "company", "need", "timeline", "authority", "company_size", "person_name"]
    assert (plan.offered_times, plan.opening, plan.variants) == (
        5,
        "utter_greet",
        {"questions": "short", "times": "five"},
    )
    # Slots the form has already dropped (an unqualified visitor's) are not brought back.
    assert plan.form_slots(["need", "authority"]) == ["need", "authority"]


def test_a_visitors_assignments_are_in_their_export_and_go_with_an_erasure(tmp_path, store):
    assign(store, config_of(tmp_path, ONE_TO_THREE), "visitor-1", NOW)
    transcripts = TrackerStore(None)
    exported = export_person(store, transcripts, visitor_id="visitor-1")
    assert [(row["experiment"], row["assigned_at"]) for row in exported["lead_experiments"]] == [("opening", NOW)]
    assert erase_person(store, transcripts, visitor_id="visitor-1")["removed"]["lead_experiments"] == 1
    with store.session() as session:
        assert session.execute(select(LeadExperiment)).all() == []
