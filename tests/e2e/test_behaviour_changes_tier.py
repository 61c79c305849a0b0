"""What a visitor did on the site (sent by tracker.js to the real tracking endpoint) changes
the tier the assistant reaches for identical answers, and the reasons say why."""

import uuid
from datetime import datetime, timedelta, timezone

import httpx
import pytest

from leaddb import LeadStore
from tests.e2e.test_rest_conversation import _say, _slot
from tests.support.identity import proof_cookie

pytestmark = pytest.mark.e2e

# On answers alone: need 15 + timeline ≤100 days 18 + influencer 15 + budget unknown 0
# + 20 employees 4 + free-mail address -10 = 42, an MQL.
ANSWERS = [
    "we want to stop guessing which campaigns actually produce pipeline",
    "in about two months",
    "marketing manager here, I would recommend it to my boss",
    "not sure yet, haven't talked budget",
    "I work at Tailwind Analytics",
    "about 20 people",
    "my name is Kim Lee",
    "kim.lee@gmail.com",
]


def _track(stack, visitor: str, *kinds: str) -> None:
    now = datetime.now(timezone.utc)
    events = [
        {
            "id": str(uuid.uuid4()),
            "type": kind,
            "url": "https://beacon.example/pricing" if kind == "pricing_view" else "https://beacon.example/webinar",
            "occurred_at": (now - timedelta(hours=len(kinds) - i)).isoformat(),
        }
        for i, kind in enumerate(kinds)
    ]
    response = httpx.post(
        f"http://127.0.0.1:{stack.env['WEB_PORT']}/track",
        json={"visitor_id": visitor, "events": events},
        headers=proof_cookie(visitor, stack.env),  # as the visitor's browser sends it
        timeout=30,
    )
    assert response.status_code in (200, 202), response.text


def _qualify(stack, visitor: str) -> list[str]:
    # The browser's zone, as the widget sends it: France, where no rep's territory asks more.
    greeting = _say(stack, visitor, "hello", metadata={"timezone": "Europe/Paris"})
    for answer in ANSWERS:
        _say(stack, visitor, answer)
    return greeting


def test_a_keen_visitor_becomes_an_sql_where_a_quiet_one_stays_mql(running_stack):
    keen, quiet = f"keen-{uuid.uuid4().hex[:8]}", f"quiet-{uuid.uuid4().hex[:8]}"
    _track(running_stack, keen, "pricing_view", "pricing_view", "pricing_view", "webinar_attendance")

    keen_greeting = _qualify(running_stack, keen)
    quiet_greeting = _qualify(running_stack, quiet)

    assert "pricing" in " ".join(keen_greeting).lower()  # greeted for the third pricing visit
    assert "pricing" not in " ".join(quiet_greeting).lower()
    assert (_slot(running_stack, keen, "lead_tier"), _slot(running_stack, quiet, "lead_tier")) == ("sql", "mql")
    store = LeadStore.from_url(running_stack.env["DATABASE_URL"])
    assert any("pricing" in reason for reason in store.get_lead(keen)["reasons"])
    assert not any("pricing" in reason for reason in store.get_lead(quiet)["reasons"])
