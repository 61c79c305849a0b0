"""Data request links (handoff.data_requests) on a real lead database: the email in the outbox,
the daily limit per address, and which links are refused (forged, expired, used, other kind)."""

from __future__ import annotations

import re
from datetime import datetime, timedelta, timezone

import pytest
from sqlalchemy import select

from handoff.data_requests import MAX_LINKS_PER_DAY, DataRequestRefused, check_link, claim_erasure, request_data
from leaddb import LeadStore
from leaddb.data_requests import DataRequest
from leaddb.outbox import OutboxMessage

NOW = datetime(2026, 12, 3, 9, 0, tzinfo=timezone.utc)
BASE = "https://leads.example.com"


@pytest.fixture
def store(database_url):
    store = LeadStore.from_url(database_url)
    yield store
    store.engine.dispose()


def _send(store: LeadStore, kind: str, email: str = "Mara@Fjord.example", now: datetime = NOW) -> str:
    """Request a link; the token from the email queued for it."""
    assert request_data(store, kind, email, BASE, 24, now)
    with store.session() as session:
        message = session.execute(select(OutboxMessage).order_by(OutboxMessage.id.desc())).scalars().first()
        assert message.kind == "email" and message.target == email.lower()
        found = re.search(rf"{BASE}/privacy/{kind}\?token=([\w-]+)", message.payload["text"])
        assert found, message.payload["text"]
        assert "24 hours" in message.payload["text"]
        return found.group(1)


def test_a_link_works_until_it_expires(store):
    token = _send(store, "export")
    assert check_link(store, "export", token, NOW + timedelta(hours=23)) == "mara@fjord.example"
    assert check_link(store, "export", token, NOW + timedelta(hours=23)) == "mara@fjord.example"  # again
    with pytest.raises(DataRequestRefused) as refused:
        check_link(store, "export", token, NOW + timedelta(hours=24))
    assert refused.value.code == "expired"
    with store.session() as session:  # only the token's hash is kept
        assert token not in {row.token_hash for row in session.execute(select(DataRequest)).scalars()}


@pytest.mark.parametrize("token", ["", None, "not-a-token", "x" * 200, "\ud800"])
def test_a_forged_link_is_refused(store, token):
    _send(store, "export")
    with pytest.raises(DataRequestRefused) as refused:
        check_link(store, "export", token, NOW)
    assert refused.value.code == "not_found"


def test_an_export_link_does_not_erase(store):
    token = _send(store, "export")
    with pytest.raises(DataRequestRefused) as refused:
        claim_erasure(store, token, NOW)
    assert refused.value.code == "not_found"


def test_an_erasure_link_works_once_and_then_forgets_the_address(store):
    token = _send(store, "erase")
    assert check_link(store, "erase", token, NOW) == "mara@fjord.example"  # the confirm page
    assert claim_erasure(store, token, NOW) == "mara@fjord.example"
    for use in (lambda: claim_erasure(store, token, NOW), lambda: check_link(store, "erase", token, NOW)):
        with pytest.raises(DataRequestRefused) as refused:
            use()
        assert refused.value.code == "used"
    with store.session() as session:
        assert [row.email for row in session.execute(select(DataRequest)).scalars()] == [None]


def test_an_address_gets_a_few_links_a_day_at_most(store):
    for _ in range(MAX_LINKS_PER_DAY):
        _send(store, "export")
    assert request_data(store, "erase", "mara@fjord.example", BASE, 24, NOW) is False
    with store.session() as session:
        assert len(session.execute(select(OutboxMessage)).scalars().all()) == MAX_LINKS_PER_DAY
    assert request_data(store, "erase", "someone.else@fjord.example", BASE, 24, NOW)
    _send(store, "erase", now=NOW + timedelta(days=1, seconds=1))  # a day later
