"""The lead store on SQLite and on the real PostgreSQL server."""

from datetime import timezone

import pytest

from leaddb import LeadStore


@pytest.fixture
def store(database_url):
    store = LeadStore.from_url(database_url)
    yield store
    store.engine.dispose()


def test_each_answer_is_kept_raw_and_normalised(store):
    store.record_answer("v-1", "budget", "around 50k", {"budget_amount": 50000.0, "budget_currency": "USD"})
    store.record_answer("v-1", "timeline", "blah", None, status="invalid")
    lead = store.get_lead("v-1")
    assert (lead["budget_amount"], lead["budget_currency"], lead["stage"]) == (50000.0, "USD", "visitor")
    assert lead["created_at"].tzinfo is not None
    answers = store.answers("v-1")
    assert [(a["slot"], a["raw_text"], a["status"]) for a in answers] == [
        ("budget", "around 50k", "ok"),
        ("timeline", "blah", "invalid"),
    ]
    assert answers[0]["value"] == {"budget_amount": 50000.0, "budget_currency": "USD"}


def test_decision_is_stored_with_reasons_and_moves_the_stage(store):
    store.record_answer("v-2", "authority", "CTO", {"authority": "decision_maker"})
    store.record_decision("v-2", "sql", 80.0, ["score 80 ≥ 60"], [{"rule": "bant.authority.decision_maker"}])
    lead = store.get_lead("v-2")
    assert (lead["tier"], lead["score"], lead["reasons"], lead["stage"]) == ("sql", 80.0, ["score 80 ≥ 60"], "sql")
    assert lead["decided_at"].tzinfo == timezone.utc
    store.record_decision("v-2", "sql", 82.0, ["again"], [])
    assert store.transitions("v-2") == [("visitor", "sql")]  # same stage twice is one transition


def test_stopping_keeps_everything(store):
    store.record_answer("v-3", "need", "fix our reporting", {"need": "fix our reporting"})
    store.record_stop("v-3", "stop asking me questions")
    lead = store.get_lead("v-3")
    assert lead["need"] == "fix our reporting" and lead["stage"] == "stopped" and lead["stopped_at"]


def test_unknown_columns_and_stages_are_refused(store):
    with pytest.raises(ValueError, match="not lead answer columns"):
        store.record_answer("v-5", "budget", "x", {"tier": "sql"})
    with pytest.raises(ValueError, match="unknown stage"):
        store.change_stage("v-5", "hot")


def test_unknown_visitor_has_no_lead(store):
    assert store.get_lead("nobody") is None
