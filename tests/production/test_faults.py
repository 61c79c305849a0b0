"""Conversations under load while the machine's parts fail underneath them, at a size that keeps
CI quick (bench/production_load.py runs the same with 200 visitors): one Rasa replica killed,
one action server killed, PostgreSQL restarted. Every visitor books, every answer is in the
lead database, nobody holds two meetings, and every outbox message reaches its receiver, which
deduplicates by the Idempotency-Key the outbox sends."""

from __future__ import annotations

import os

import pytest

from tests.support.load_with_faults import CannotRestartPostgres, run_load
from tests.support.production_stack import ProductionStack, http_ok, wait_for

pytestmark = pytest.mark.production

VISITORS = 12


def test_visitors_complete_while_a_replica_an_action_server_and_postgres_go_down(production_stack: ProductionStack):
    try:
        report = run_load(production_stack, VISITORS, first=1000)
    except CannotRestartPostgres as error:
        if os.getenv("CI"):
            raise
        pytest.skip(str(error))

    assert report.faults == ["rasa-1 killed", "actions-1 killed", "postgres restarted"]
    assert [o.transcript for o in report.outcomes if not o.booked] == []
    assert report.answers_lost == {}
    assert report.meetings_per_visitor == {o.sender: 1 for o in report.outcomes}  # one each, none twice
    # The killed processes were started again by the launcher.
    assert wait_for(lambda: http_ok(f"http://127.0.0.1:{int(production_stack.env['RASA_PORT']) + 1}/"), timeout=180)
    # Every CRM message delivered, each counted once by the receiver through its key.
    assert report.outbox_not_sent == 0
    assert report.crm_messages >= VISITORS and report.crm_without_key == 0
    assert report.crm_distinct_keys == report.crm_messages
