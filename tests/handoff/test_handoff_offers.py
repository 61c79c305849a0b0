"""The offers kept in the lead database: the only times the chat books, per visitor, with the
rep they were shown for; and the rule that only a stored SQL may book."""

from __future__ import annotations

from datetime import timedelta

import pytest

from handoff import current_offer, may_book, offered_rep, open_times, record_offer
from tests.handoff.conftest import MONDAY


def test_offers_are_kept_per_visitor_with_their_rep_and_the_newest_is_current(roster, store):
    first = open_times(roster, "berlin", store, MONDAY)
    more = open_times(roster, "berlin", store, MONDAY, after=first[-1].start)
    elsewhere = open_times(roster, "newyork", store, MONDAY)
    assert record_offer(store, "visitor-1", "berlin", first, MONDAY) == 1
    assert record_offer(store, "visitor-1", "berlin", more, MONDAY + timedelta(minutes=1)) == 2
    record_offer(store, "visitor-2", "newyork", elsewhere, MONDAY)

    offer = current_offer(store, "visitor-1")
    assert (offer.rep_id, offer.batch, offer.starts) == ("berlin", 2, tuple(t.start for t in more))
    assert offer.payloads == [t.payload for t in more]
    # Every time shown to this visitor books with its rep; nothing shown to someone else does.
    assert offered_rep(store, "visitor-1", first[0].start) == "berlin"
    assert offered_rep(store, "visitor-1", more[-1].start.astimezone(roster.rep("newyork").zone)) == "berlin"
    assert offered_rep(store, "visitor-1", elsewhere[0].start) is None
    assert offered_rep(store, "visitor-1", more[-1].start + timedelta(minutes=30)) is None
    assert offered_rep(store, "visitor-1", first[0].start.replace(tzinfo=None)) is None
    assert current_offer(store, "visitor-3") is None and offered_rep(store, "visitor-3", first[0].start) is None


@pytest.mark.parametrize(
    "lead, allowed",
    [
        ({"tier": "sql"}, True),
        ({"tier": "mql"}, False),
        ({"tier": "unqualified"}, False),
        ({"tier": None}, False),
        ({}, False),
        (None, False),
    ],
)
def test_only_a_stored_sql_may_book(lead, allowed):
    assert may_book(lead) is allowed
