"""leaddb.events: idempotent batch ingest and reading a visitor's history, on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest
from sqlalchemy.exc import StatementError

from leaddb import LeadStore, make_session_factory
from leaddb.events import IngestResult, TrackedEvent, ingest_events, visitor_events

T0 = datetime(2024, 5, 1, 9, 0, tzinfo=timezone.utc)


def event(event_id: str, visitor_id: str = "visitor-1", minutes: int = 0, **fields) -> TrackedEvent:
    return TrackedEvent(
        event_id=event_id,
        visitor_id=visitor_id,
        type=fields.pop("type", "page_view"),
        occurred_at=T0 + timedelta(minutes=minutes),
        **fields,
    )


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def store(request, tmp_path):
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path / 'leads.db'}"
    else:
        url = request.getfixturevalue("postgres_url")
    store = LeadStore.from_url(url)
    yield store
    store.engine.dispose()


def test_ingest_counts_new_and_duplicate_ids(store):
    batch = [event("event-0001", minutes=0), event("event-0002", minutes=1)]
    assert ingest_events(store.engine, batch) == IngestResult(accepted=2, duplicates=0)
    assert ingest_events(store.engine, batch) == IngestResult(accepted=0, duplicates=2)
    repeated_inside = [event("event-0003", minutes=2), event("event-0003", minutes=2), event("event-0001")]
    assert ingest_events(store.engine, repeated_inside) == IngestResult(accepted=1, duplicates=2)
    assert ingest_events(store.engine, []) == IngestResult(accepted=0, duplicates=0)


def test_an_event_is_identified_by_visitor_and_id(store):
    # The same random id under another visitor is another event (ids are only unique per visitor).
    assert ingest_events(
        store.engine, [event("shared-01"), event("shared-01", visitor_id="visitor-2")]
    ) == IngestResult(2, 0)
    assert [row.visitor_id for row in visitor_events(store.engine, "visitor-2")] == ["visitor-2"]


def test_large_batches_count_exactly(store):
    # PostgreSQL sends a batch in pages of 1000 rows: the count must cover every page.
    first = [event(f"bulk-{n:05d}", minutes=n) for n in range(2500)]
    assert ingest_events(store.engine, first) == IngestResult(accepted=2500, duplicates=0)
    overlapping = [event(f"bulk-{n:05d}", minutes=n) for n in range(2000, 4600)]
    assert ingest_events(store.engine, overlapping) == IngestResult(accepted=2100, duplicates=500)


def test_visitor_events_round_trip_oldest_first(store):
    later = event(
        "event-b",
        minutes=30,
        type="content_download",
        url="https://site.test/guide",
        referrer="https://search.test/",
        utm={"source": "news", "campaign": "q3"},
        properties={"title": "ROI guide", "pages": 12},
    )
    ingest_events(store.engine, [later, event("event-a", minutes=5), event("other-1", visitor_id="visitor-2")])

    rows = visitor_events(store.engine, "visitor-1")
    assert [row.event_id for row in rows] == ["event-a", "event-b"]
    assert rows[1] == later
    assert rows[0].occurred_at == T0 + timedelta(minutes=5)
    assert rows[0].occurred_at.utcoffset() == timedelta(0)
    assert visitor_events(store.engine, "nobody") == []


def test_visitor_events_since_and_session_factory(store):
    ingest_events(store.engine, [event("e-old", minutes=0), event("e-new", minutes=60)])
    sessions = make_session_factory(store.engine)
    since = T0 + timedelta(minutes=60)
    assert [row.event_id for row in visitor_events(sessions, "visitor-1", since=since)] == ["e-new"]
    # A time in another zone means the same instant.
    in_paris = since.astimezone(timezone(timedelta(hours=2)))
    assert [row.event_id for row in visitor_events(store.engine, "visitor-1", since=in_paris)] == ["e-new"]


def test_naive_times_are_refused(store):
    naive = TrackedEvent(event_id="naive-1", visitor_id="visitor-1", type="page_view", occurred_at=datetime(2024, 5, 1))
    with pytest.raises(StatementError, match="naive datetime"):
        ingest_events(store.engine, [naive])
