"""leaddb.events: idempotent batch ingest and reading a visitor's history, on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest
from sqlalchemy import text

from leaddb import LeadStore, make_session_factory
from leaddb.events import IngestResult, InvalidEvent, TrackedEvent, ingest_events, visitor_events

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


def stored_rows(store) -> list[tuple]:
    with store.engine.connect() as connection:
        return connection.execute(text("SELECT visitor_id, event_id FROM events ORDER BY event_id")).all()


def test_the_bulk_path_stores_an_event_id_once(store):
    # The same id twice in one batch, then again in later batches (a browser resending):
    # one row, whichever path (COPY on PostgreSQL, executemany on SQLite) stored it.
    twice = [event("same-0001", minutes=0), event("same-0001", minutes=0), event("other-0001")]
    assert ingest_events(store.engine, twice) == IngestResult(accepted=2, duplicates=1)
    assert ingest_events(store.engine, twice) == IngestResult(accepted=0, duplicates=3)
    assert ingest_events(store.engine, [event("same-0001", minutes=9)]) == IngestResult(accepted=0, duplicates=1)
    assert stored_rows(store) == [("visitor-1", "other-0001"), ("visitor-1", "same-0001")]
    # The first one stored stays: a resend with other fields does not overwrite it.
    assert [row.occurred_at for row in visitor_events(store.engine, "visitor-1")][-1] == T0


@pytest.mark.parametrize(
    ("bad", "field"),
    [
        (
            TrackedEvent(
                event_id="naive-1", visitor_id="visitor-1", type="page_view", occurred_at=datetime(2024, 5, 1)
            ),
            "occurred_at",
        ),
        (event("typo-0001", type="page_veiw"), "type"),
        (event("x" * 65), "event_id"),
        (event("long-visitor", visitor_id="v" * 129), "visitor_id"),
        (event("", visitor_id="visitor-1"), "event_id"),
        (event("nul-url-01", url="https://site.test/\x00"), "url"),
        (event("nul-prop-01", properties={"title": "a\x00b"}), "properties"),
        (event("not-json-1", properties={"when": T0}), "properties"),
        (event("utm-long-1", utm={"source": "s" * 256}), "utm"),
        (event("utm-key-01", utm={"sauce": "x"}), "utm"),
    ],
)
def test_an_invalid_event_refuses_its_batch(store, bad, field):
    # The invalid event comes last, after valid ones: none of the batch is stored, on either database.
    batch = [event("good-0001"), event("good-0002", visitor_id="visitor-2"), bad]
    with pytest.raises(InvalidEvent) as refused:
        ingest_events(store.engine, batch)
    assert (refused.value.index, refused.value.field) == (2, field)
    assert stored_rows(store) == []
    assert ingest_events(store.engine, batch[:2]) == IngestResult(accepted=2, duplicates=0)


def test_empty_optional_text_is_stored_as_null(store):
    ingest_events(store.engine, [event("blank-0001", url="", referrer="", utm={"source": ""})])
    [stored] = visitor_events(store.engine, "visitor-1")
    assert (stored.url, stored.referrer, stored.utm, stored.properties) == (None, None, {}, {})
