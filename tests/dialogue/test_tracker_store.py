"""The project's tracker store (channels/tracker_store.py) reads only the rows added since its
last read, and still gives exactly what Rasa's own SQL store gives: after more turns, after
another replica wrote, after an erasure, after a new session."""

from __future__ import annotations

import asyncio

import pytest
import sqlalchemy as sa
from rasa.core.brokers.broker import EventBroker
from rasa.core.tracker_store import SQLTrackerStore
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import ActionExecuted, SessionStarted, SlotSet, UserUttered
from rasa.shared.core.trackers import DialogueStateTracker

from channels.tracker_store import ResilientSQLTrackerStore

DOMAIN = Domain.from_yaml(
    """
version: "3.1"
intents: [greet, inform]
slots:
  need:
    type: text
    mappings: [{type: custom}]
"""
)


def _store(cls, path):
    return cls(DOMAIN, dialect="sqlite", db=str(path))


def _turn(tracker: DialogueStateTracker, text: str, need: str | None = None) -> None:
    tracker.update(UserUttered(text, {"name": "inform", "confidence": 1.0}))
    tracker.update(ActionExecuted("qualification_form"))
    if need is not None:
        tracker.update(SlotSet("need", need))
    tracker.update(ActionExecuted("action_listen"))


def _state(tracker):
    return None if tracker is None else [e.as_dict() for e in tracker.events]


def _retrieve(store, sender):
    return asyncio.run(store.retrieve(sender))


@pytest.fixture
def stores(tmp_path):
    path = tmp_path / "conversations.db"
    return _store(ResilientSQLTrackerStore, path), _store(ResilientSQLTrackerStore, path), _store(SQLTrackerStore, path)


def test_each_read_matches_rasas_own_store_as_the_conversation_grows(stores):
    ours, replica, rasas = stores
    tracker = DialogueStateTracker("visitor-aaaa1111", DOMAIN.slots)
    tracker.update(SessionStarted())
    for turn in range(6):
        _turn(tracker, f"message {turn}", need=f"need {turn}" if turn % 2 else None)
        asyncio.run(ours.save(tracker))
        assert _state(_retrieve(ours, tracker.sender_id)) == _state(_retrieve(rasas, tracker.sender_id))
        tracker = _retrieve(ours, tracker.sender_id)
    assert tracker.get_slot("need") == "need 5" and len(tracker.events) == 1 + 6 * 3 + 3


def test_what_another_replica_wrote_is_read(stores):
    ours, replica, rasas = stores
    tracker = DialogueStateTracker("visitor-bbbb2222", DOMAIN.slots)
    _turn(tracker, "hi")
    asyncio.run(ours.save(tracker))
    _retrieve(ours, tracker.sender_id)
    elsewhere = _retrieve(replica, tracker.sender_id)
    _turn(elsewhere, "we need routing", need="routing")
    asyncio.run(replica.save(elsewhere))
    mine = _retrieve(ours, tracker.sender_id)
    assert mine.get_slot("need") == "routing"
    assert _state(mine) == _state(_retrieve(rasas, tracker.sender_id))


def test_an_erased_conversation_is_gone_and_a_new_one_starts_clean(stores):
    ours, _, rasas = stores
    tracker = DialogueStateTracker("visitor-cccc3333", DOMAIN.slots)
    _turn(tracker, "my email is a@b.example", need="secret need")
    asyncio.run(ours.save(tracker))
    _retrieve(ours, tracker.sender_id)
    with rasas.engine.begin() as connection:  # what `leaddb erase` does to the tracker store
        connection.execute(sa.text("delete from events where sender_id = :s"), {"s": tracker.sender_id})
    assert _retrieve(ours, tracker.sender_id) is None
    fresh = DialogueStateTracker(tracker.sender_id, DOMAIN.slots)
    _turn(fresh, "hello again")
    asyncio.run(ours.save(fresh))
    again = _retrieve(ours, tracker.sender_id)
    assert again.get_slot("need") is None and _state(again) == _state(_retrieve(rasas, tracker.sender_id))


def test_a_new_session_leaves_the_old_one_behind(stores):
    ours, _, rasas = stores
    tracker = DialogueStateTracker("visitor-dddd4444", DOMAIN.slots)
    tracker.update(SessionStarted(timestamp=1.0))
    _turn(tracker, "first visit", need="old need")
    asyncio.run(ours.save(tracker))
    tracker = _retrieve(ours, tracker.sender_id)
    tracker.update(SessionStarted())
    _turn(tracker, "back a month later")
    asyncio.run(ours.save(tracker))
    mine = _retrieve(ours, tracker.sender_id)
    assert _state(mine) == _state(_retrieve(rasas, tracker.sender_id))
    assert [e.get("text") for e in _state(mine) if e["event"] == "user"] == ["back a month later"]


class _CollectingBroker(EventBroker):
    """An event broker that keeps what it is given (Rasa's own brokers need a server)."""

    def __init__(self) -> None:
        self.published: list[dict] = []

    def publish(self, event: dict) -> None:
        self.published.append(event)

    @classmethod
    async def from_endpoint_config(cls, broker_config, event_loop=None):  # pragma: no cover - unused
        return cls()


def _rows(store):
    with store.engine.connect() as connection:
        query = "select sender_id, type_name, intent_name, action_name, data from events order by id"
        return [tuple(row) for row in connection.execute(sa.text(query))]


def test_saves_store_and_publish_exactly_what_rasas_store_does(tmp_path):
    ours = _store(ResilientSQLTrackerStore, tmp_path / "ours.db")
    rasas = _store(SQLTrackerStore, tmp_path / "rasas.db")
    ours.event_broker, rasas.event_broker = _CollectingBroker(), _CollectingBroker()
    mine = DialogueStateTracker("visitor-eeee5555", DOMAIN.slots)
    theirs = DialogueStateTracker("visitor-eeee5555", DOMAIN.slots)
    mine.update(SessionStarted(timestamp=1.0))
    theirs.update(SessionStarted(timestamp=1.0))
    for turn in range(5):
        events = [
            UserUttered(f"message {turn}", {"name": "inform", "confidence": 1.0}),
            ActionExecuted("qualification_form"),
            SlotSet("need", f"need {turn}"),
            ActionExecuted("action_listen"),
        ]
        if turn == 3:  # a new session mid-conversation
            events.append(SessionStarted(timestamp=2.0))
        for tracker, store in ((mine, ours), (theirs, rasas)):
            for event in events:
                tracker.update(event)
            asyncio.run(store.save(tracker))
            asyncio.run(store.save(tracker))  # nothing new: nothing stored or published twice
        mine, theirs = _retrieve(ours, mine.sender_id), _retrieve(rasas, theirs.sender_id)
        assert _state(mine) == _state(theirs)
    assert _rows(ours) == _rows(rasas)
    assert ours.event_broker.published == rasas.event_broker.published
    assert len(ours.event_broker.published) == len(_rows(ours))


def test_a_conversation_erased_while_a_message_is_handled_is_saved_again_whole(stores):
    ours, _, rasas = stores
    tracker = DialogueStateTracker("visitor-ffff6666", DOMAIN.slots)
    _turn(tracker, "first message")
    asyncio.run(ours.save(tracker))
    _retrieve(ours, tracker.sender_id)  # this process now holds the conversation
    with rasas.engine.begin() as connection:  # `leaddb erase`, between the read and the save
        connection.execute(sa.text("delete from events where sender_id = :s"), {"s": tracker.sender_id})
    fresh = DialogueStateTracker(tracker.sender_id, DOMAIN.slots)
    _turn(fresh, "hello again")
    asyncio.run(ours.save(fresh))
    assert _state(_retrieve(rasas, tracker.sender_id)) == _state(fresh)
