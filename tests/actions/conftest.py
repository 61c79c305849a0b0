"""Action tests: real Tracker objects in, events and messages out, a real SQLite lead DB."""

from pathlib import Path

import pytest
import yaml
from rasa_sdk import Tracker
from rasa_sdk.executor import CollectingDispatcher

from actions import services

DOMAIN = yaml.safe_load((Path(__file__).resolve().parents[2] / "domain.yml").read_text())


@pytest.fixture(autouse=True)
def lead_db(monkeypatch, tmp_path):
    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{tmp_path / 'leads.db'}")
    services.lead_store.cache_clear()
    yield services.lead_store()
    services.lead_store.cache_clear()


@pytest.fixture
def domain():
    return DOMAIN


@pytest.fixture
def dispatcher():
    return CollectingDispatcher()


def entity(text: str, value: str, name: str) -> dict:
    start = text.index(value)
    return {"entity": name, "value": value, "start": start, "end": start + len(value)}


def form_turn(text, candidates, requested, entities=(), slots=None, intent="inform", sender="visitor-1"):
    """The tracker a form validator sees: this turn's slot candidates are the trailing slot events."""
    slots = {**(slots or {}), "requested_slot": requested, **candidates}
    events = [{"event": "action", "name": "qualification_form"}, {"event": "user", "text": text}]
    events += [{"event": "slot", "name": name, "value": value} for name, value in candidates.items()]
    return Tracker(
        sender,
        slots,
        {"text": text, "intent": {"name": intent}, "entities": list(entities)},
        events,
        False,
        None,
        {"name": "qualification_form"},
        "action_listen",
    )


def simple_tracker(slots=None, text="", sender="visitor-1", active_loop=None):
    return Tracker(
        sender,
        slots or {},
        {"text": text, "intent": {"name": "inform"}, "entities": []},
        [],
        False,
        None,
        {"name": active_loop} if active_loop else {},
        "action_listen",
    )
