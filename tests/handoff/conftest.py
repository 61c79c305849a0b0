"""Fixtures for the handoff tests: a small roster with fixed rules, and a lead database on
SQLite and (marked `postgres`) on a fresh PostgreSQL schema (see tests/conftest.py)."""

from __future__ import annotations

from datetime import datetime, timezone

import pytest

from handoff import load_roster
from leaddb import LeadStore

ROSTER_YML = """
meetings:
  length_minutes: 30
  buffer_minutes: 15
  slot_step_minutes: 30
  horizon_days: 14
  minimum_notice_minutes: 60
regions:
  dach: [DE, AT, CH]
  north_america: [US, CA]
segments:
  smb: "1-199"
  mid: "200-999"
  enterprise: "1000+"
reps:
  - id: berlin
    name: Bea Berlin
    email: bea@example.com
    timezone: Europe/Berlin
    working_hours: {mon-fri: ["09:00-12:00", "13:00-17:00"]}
    territories: [dach]
    segments: [mid, enterprise]
    industries: [manufacturing]
    weight: 2
    daily_meeting_cap: 3
    accounts: [owned-gmbh.example]
  - id: munich
    name: Max Munich
    email: max@example.com
    timezone: Europe/Berlin
    working_hours: {mon-fri: "09:00-17:00"}
    territories: [dach]
    segments: [smb, mid]
    industries: [software]
    weight: 1
    daily_meeting_cap: 3
  - id: newyork
    name: Nia York
    email: nia@example.com
    timezone: America/New_York
    working_hours: {mon-fri: "09:00-17:00"}
    territories: [north_america]
    segments: [smb, mid, enterprise]
    industries: [healthcare]
    daily_meeting_cap: 3
  - id: retired
    name: Rita Retired
    email: rita@example.com
    timezone: Europe/Berlin
    working_hours: {mon-fri: "09:00-17:00"}
    territories: [dach]
    segments: [smb, mid, enterprise]
    daily_meeting_cap: 3
    active: false
    accounts: [old-account.example]
routing_rules:
  - name: enterprise
    when: {segment: [enterprise]}
    reps: [berlin, newyork]
    match_on: [territory]
  - name: healthcare
    when: {industry: [healthcare]}
    match_on: [territory, industry]
  - name: territory_segment
    match_on: [territory, segment]
  - name: territory
    match_on: [territory]
fallback:
  queue: sales-inbox
queues:
  sales-inbox:
    email: sales@example.com
    timezone: Europe/Berlin
    working_hours: {mon-fri: "08:00-18:00"}
  support:
    email: support@example.com
    timezone: America/New_York
    working_hours: {mon-fri: "08:00-20:00", sat: "10:00-14:00"}
"""

# Monday 2 March 2026, 08:00 UTC = 09:00 in Berlin, 03:00 in New York.
MONDAY = datetime(2026, 3, 2, 8, 0, tzinfo=timezone.utc)


@pytest.fixture
def roster_path(tmp_path):
    path = tmp_path / "roster.yml"
    path.write_text(ROSTER_YML, encoding="utf-8")
    return path


@pytest.fixture
def roster(roster_path):
    return load_roster(roster_path)


@pytest.fixture
def store(database_url) -> LeadStore:
    """A lead database on SQLite, and again on PostgreSQL (tests/conftest.py's database_url)."""
    store = LeadStore.from_url(database_url)
    yield store
    store.engine.dispose()


@pytest.fixture
def sqlite_store(sqlite_url) -> LeadStore:
    store = LeadStore.from_url(sqlite_url)
    yield store
    store.engine.dispose()
