"""The pages behind a data request link, on `python -m webapp` over real HTTP: bad links and
odd requests get a clear 4xx page that says nothing about anyone, never a 500."""

from __future__ import annotations

import re

import httpx
import pytest
from sqlalchemy import select

from handoff.data_requests import request_data
from leaddb import LeadStore, utcnow
from leaddb.outbox import OutboxMessage


def _link(webapp, kind: str, email: str) -> str:
    store = LeadStore.from_url(webapp.database_url)
    try:
        store.record_answer(f"v-{email.split('@')[0]}-lead", "email", email, {"email": email})
        assert request_data(store, kind, email, webapp.url, 24, utcnow())
        with store.session() as session:
            message = session.execute(select(OutboxMessage).where(OutboxMessage.target == email)).scalars().one()
            return re.search(r"http://\S+token=[\w-]+", message.payload["text"]).group(0)
    finally:
        store.engine.dispose()


@pytest.mark.parametrize(
    "path", ["/privacy/export", "/privacy/export?token=", "/privacy/erase?token=nope", "/privacy/export?token=%C3%A9"]
)
def test_a_link_without_a_valid_token_is_refused(webapp, path):
    response = httpx.get(webapp.url + path, timeout=10)
    assert response.status_code == 404 and "Link not valid" in response.text
    assert response.headers["cache-control"] == "no-store"


@pytest.mark.parametrize(
    "request_kwargs",
    [
        {"data": {}},
        {"data": {"token": "forged"}},
        {"json": [1]},
        {"json": {"token": None}},
        {"content": b"\xff\xfe", "headers": {"Content-Type": "application/x-www-form-urlencoded"}},
    ],
    ids=["no-token", "forged", "json-array", "json-null", "not-utf8"],
)
def test_an_erasure_post_without_a_valid_token_erases_nothing(webapp, request_kwargs):
    link = _link(webapp, "erase", f"kept.{len(str(request_kwargs))}@ostara.example")
    response = httpx.post(f"{webapp.url}/privacy/erase", timeout=10, **request_kwargs)
    assert 400 <= response.status_code < 500
    assert httpx.get(link, timeout=10).status_code == 200  # still usable: nothing was erased


def test_an_export_link_is_not_an_erasure_link(webapp):
    link = _link(webapp, "export", "both.ways@ostara.example")
    token = link.split("token=", 1)[1]
    assert httpx.post(f"{webapp.url}/privacy/erase", data={"token": token}, timeout=10).status_code == 404
    assert httpx.get(f"{webapp.url}/privacy/erase?token={token}", timeout=10).status_code == 404
    assert "both.ways@ostara.example" in httpx.get(link, timeout=10).text  # the export still shows it
