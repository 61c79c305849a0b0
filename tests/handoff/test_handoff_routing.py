"""Routing: account owner, each rule, weighted round-robin kept in the database, daily caps,
inactive reps, fallback; every decision stored with its rule and reasons."""

from __future__ import annotations

import threading
from collections import Counter
from dataclasses import replace
from datetime import datetime, timezone

import pytest
from sqlalchemy import update

from handoff import Booking, LeadFacts, book_meeting, latest_assignment, open_times, route_lead
from leaddb import LeadStore
from leaddb.meetings import Meeting

from .conftest import MONDAY
from .helpers import fill_every_day


def facts(visitor_id="v1", **fields) -> LeadFacts:
    return LeadFacts(visitor_id=visitor_id, **fields)


@pytest.mark.parametrize(
    "lead, rep_id, rule",
    [
        (facts(email="ceo@owned-gmbh.example", country="US", company_size=10), "berlin", "account_owner"),
        (facts(company_domain="eu.owned-gmbh.example"), "berlin", "account_owner"),
        (facts(email="a@gmail.com", company_domain="owned-gmbh.example"), "berlin", "account_owner"),
        (facts(country="DE", company_size=5000), "berlin", "enterprise"),
        (facts(country="US", company_size=5000), "newyork", "enterprise"),
        (facts(country="US", company_size=50, industry="Healthcare"), "newyork", "healthcare"),
        (facts(country="DE", company_size=50), "munich", "territory_segment"),
        (facts(country="CH", company_size=500), "berlin", "territory_segment"),  # weight 2 goes first
        (facts(country="DE"), "berlin", "territory"),  # size unknown
        (facts(timezone="Europe/Vienna", company_size=50), "munich", "territory_segment"),
        # The inactive rep's account is routed by the rules instead.
        (facts(email="cto@old-account.example", country="AT", company_size=20), "munich", "territory_segment"),
    ],
)
def test_routing_table(roster, store, lead, rep_id, rule):
    decision = route_lead(roster, lead, store, MONDAY)
    assert (decision.rep_id, decision.rule, decision.queue) == (rep_id, rule, None)
    assert latest_assignment(store, lead.visitor_id) == decision


@pytest.mark.parametrize(
    "lead", [facts(country="FR", company_size=50), facts(), facts(timezone="UTC", company_size=50)]
)
def test_no_rule_finds_a_rep_so_the_fallback_queue_gets_it(roster, store, lead):
    decision = route_lead(roster, lead, store, MONDAY)
    assert (decision.rep_id, decision.rule, decision.queue) == (None, "fallback", "sales-inbox")
    assert decision.reasons[-1] == "fallback queue sales-inbox"


def test_a_fallback_rep_instead_of_a_queue(roster, store):
    roster = replace(roster, fallback_rep="munich", fallback_queue=None)
    decision = route_lead(roster, facts(country="FR"), store, MONDAY)
    assert (decision.rep_id, decision.rule, decision.queue) == ("munich", "fallback", None)


def test_reasons_say_what_was_known_and_why(roster, store):
    decision = route_lead(roster, facts(timezone="Europe/Zurich", company_size=500, email="a@b.example"), store, MONDAY)
    text = " | ".join(decision.reasons)
    assert "country CH (guessed from time zone Europe/Zurich)" in text
    assert "segment mid (500 employees)" in text
    assert "rule territory_segment matched" in text
    assert "Bea Berlin chosen by weighted round-robin among Bea Berlin (weight 2), Max Munich (weight 1)" in text

    inactive = route_lead(roster, facts("v2", email="x@old-account.example", country="DE"), store, MONDAY)
    assert "owned by Rita Retired, who is inactive" in inactive.reasons[0]


def test_round_robin_follows_the_weights_and_never_picks_inactive_reps(roster, store):
    picks = [
        route_lead(roster, facts(f"v{i}", country="DE", company_size=500), store, MONDAY).rep_id for i in range(90)
    ]
    assert Counter(picks) == {"berlin": 60, "munich": 30}
    # Smooth: the weight-2 rep never gets more than two leads in a row.
    assert "berlin,berlin,berlin" not in ",".join(picks)


def test_round_robin_state_survives_a_restart(roster, database_url):
    lead = dict(country="DE", company_size=500)
    first = LeadStore.from_url(database_url)
    picks = [route_lead(roster, facts(f"a{i}", **lead), first, MONDAY).rep_id for i in range(3)]
    first.engine.dispose()
    second = LeadStore.from_url(database_url)  # a new process would start just like this
    picks += [route_lead(roster, facts(f"b{i}", **lead), second, MONDAY).rep_id for i in range(3)]
    second.engine.dispose()
    assert picks == ["berlin", "munich", "berlin", "berlin", "munich", "berlin"]


def test_concurrent_conversations_share_the_round_robin_fairly(roster, store):
    picks: list[str] = []
    start = threading.Barrier(10)

    def conversation(worker: int) -> None:
        start.wait()
        for i in range(9):
            picks.append(
                route_lead(roster, facts(f"w{worker}-{i}", country="AT", company_size=300), store, MONDAY).rep_id
            )

    threads = [threading.Thread(target=conversation, args=(n,)) for n in range(10)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert Counter(picks) == {"berlin": 60, "munich": 30}


def test_a_rep_at_the_daily_cap_on_every_day_of_the_horizon_is_skipped(roster, store):
    fill_every_day(store, roster, "berlin", MONDAY)
    picks = [route_lead(roster, facts(f"v{i}", country="DE", company_size=500), store, MONDAY) for i in range(4)]
    assert {decision.rep_id for decision in picks} == {"munich"}
    assert "Bea Berlin at the daily cap on every day of the booking horizon" in " ".join(picks[0].reasons)
    # The enterprise rule's only DACH rep is full: the lead falls through to the territory rule.
    enterprise = route_lead(roster, facts("big", country="DE", company_size=5000), store, MONDAY)
    assert (enterprise.rep_id, enterprise.rule) == ("munich", "territory")
    assert "rule enterprise matched but no active rep" in enterprise.reasons[1]


def test_bookings_made_today_for_later_days_leave_the_rep_routable(roster, store):
    # Five bookings today, over berlin's cap of 3, each on a different later day.
    for day in (3, 4, 5, 6, 9):
        booking = book_meeting(
            store, "berlin", f"early-{day}", datetime(2026, 3, day, 9, tzinfo=timezone.utc), roster, MONDAY
        )
        assert isinstance(booking, Booking)
    decision = route_lead(roster, facts("big", country="DE", company_size=5000), store, MONDAY)
    assert (decision.rep_id, decision.rule) == ("berlin", "enterprise")  # berlin is the rule's only DACH rep
    assert open_times(roster, "berlin", store, MONDAY)[0].start == datetime(2026, 3, 2, 9, tzinfo=timezone.utc)


def test_one_day_with_room_keeps_the_rep_routable(roster, store):
    fill_every_day(store, roster, "berlin", MONDAY)
    with store.session() as session:  # free one meeting on Friday 13 March
        session.execute(
            update(Meeting)
            .where(Meeting.start == datetime(2026, 3, 13, 12, tzinfo=timezone.utc))
            .values(status="cancelled")
        )
    decision = route_lead(roster, facts("big", country="DE", company_size=5000), store, MONDAY)
    assert (decision.rep_id, decision.rule) == ("berlin", "enterprise")


def test_everyone_eligible_at_the_cap_means_fallback(roster, store):
    fill_every_day(store, roster, "newyork", MONDAY)
    decision = route_lead(roster, facts(country="US", company_size=50), store, MONDAY)
    assert (decision.rep_id, decision.queue) == (None, "sales-inbox")
    assert "Nia York at the daily cap on every day of the booking horizon" in " ".join(decision.reasons)
