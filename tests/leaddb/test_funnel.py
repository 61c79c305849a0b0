"""Conversion and velocity between stages, from the stored transitions."""

import subprocess
import sys
from datetime import datetime, timedelta, timezone

from sqlalchemy import update

from leaddb import LeadStore
from leaddb.events import TrackedEvent, ingest_events
from leaddb.funnel import funnel, funnel_by
from leaddb.leads import Lead
from leaddb.meetings import LeadAssignment

T0 = datetime(2026, 2, 2, 9, 0, tzinfo=timezone.utc)  # a Monday, ISO week 2026-W06


def seed(store: LeadStore, leads: dict[str, tuple[datetime, list[tuple[str, float]]]]) -> None:
    """Each lead: when it was created, and (stage, hours after creation) for each transition."""
    for visitor, (created, stages) in leads.items():
        store.ensure_lead(visitor)
        for stage, _ in stages:
            store.change_stage(visitor, stage)
        with store.session() as session:
            lead = session.query(Lead).filter_by(visitor_id=visitor).one()
            session.execute(update(Lead).where(Lead.id == lead.id).values(created_at=created))
            for transition, (_, hours) in zip(lead.transitions, stages):
                transition.created_at = created + timedelta(hours=hours)


def test_a_skipped_stage_is_not_passed(sqlite_url):
    # The case from issue 11: three SQLs and two unqualified leads used to show "mql 3, 60%".
    store = LeadStore.from_url(sqlite_url)
    seed(
        store,
        {f"sql{i}": (T0, [("sql", 1)]) for i in range(3)} | {f"u{i}": (T0, [("unqualified", 1)]) for i in range(2)},
    )
    steps = {step.stage: step for step in funnel(store)}
    assert steps["visitor"].leads == 5
    assert steps["mql"].leads == 0 and steps["mql"].conversion == 0
    assert steps["sql"].leads == 3 and steps["sql"].conversion is None  # no MQL to convert from


def test_conversion_and_median_hours_against_hand_computed_figures(sqlite_url):
    store = LeadStore.from_url(sqlite_url)
    seed(
        store,
        {
            "a": (T0, [("mql", 2), ("sql", 10), ("meeting_booked", 11), ("accepted", 12)]),
            "b": (T0, [("mql", 4), ("sql", 24), ("meeting_booked", 26)]),
            "c": (T0, [("mql", 6)]),
            "d": (T0, [("mql", 1), ("sql", 3)]),
            "e": (T0 + timedelta(days=7), [("sql", 1), ("meeting_booked", 2)]),  # skipped MQL
            "f": (T0 + timedelta(days=7), []),
        },
    )
    steps = {step.stage: step for step in funnel(store)}
    assert [steps[s].leads for s in ("visitor", "mql", "sql", "meeting_booked", "accepted")] == [6, 4, 4, 3, 1]
    # visitor→MQL: hours 2, 4, 6, 1 → median 3.
    assert steps["mql"].conversion == 4 / 6 and steps["mql"].median_hours == 3
    # MQL→SQL: a, b, d of the four MQLs; hours 8, 20, 2 → median 8.
    assert steps["sql"].conversion == 3 / 4 and steps["sql"].median_hours == 8
    # SQL→booked: a (1 h), b (2 h), e (1 h) of a, b, d, e.
    assert steps["meeting_booked"].conversion == 3 / 4 and steps["meeting_booked"].median_hours == 1
    assert steps["accepted"].conversion == 1 / 3 and steps["accepted"].median_hours == 1

    window = {s.stage: s.leads for s in funnel(store, since=T0, until=T0 + timedelta(days=7))}
    assert window["visitor"] == 4 and window["sql"] == 3

    weeks = funnel_by(store, "week")
    assert list(weeks) == ["2026-W06", "2026-W07"]
    assert [s.leads for s in weeks["2026-W07"]] == [2, 0, 1, 1, 0, 0, 0]


def test_funnel_by_rep_uses_the_last_assignment(sqlite_url):
    store = LeadStore.from_url(sqlite_url)
    seed(store, {"a": (T0, [("mql", 1), ("sql", 2)]), "b": (T0, [("mql", 1)])})
    with store.session() as session:
        lead_id = session.query(Lead.id).filter_by(visitor_id="a").scalar()
        session.add(LeadAssignment(lead_id=lead_id, rep_id="ana", rule="test", reasons=[]))
        session.add(LeadAssignment(lead_id=lead_id, rep_id="ben", rule="test", reasons=[]))
    reps = funnel_by(store, "rep")
    assert list(reps) == ["ben", "unassigned"]
    assert [s.leads for s in reps["ben"]][:3] == [1, 1, 1]
    assert [s.leads for s in reps["unassigned"]][:3] == [1, 1, 0]


def test_funnel_by_source_and_landing_page_uses_the_first_tracked_event(sqlite_url):
    store = LeadStore.from_url(sqlite_url)
    seed(store, {"a": (T0, [("mql", 1)]), "b": (T0, []), "c": (T0, [("mql", 1)]), "d": (T0, [])})
    first, later = T0 - timedelta(hours=2), T0 - timedelta(hours=1)
    ingest_events(
        store.engine,
        [
            TrackedEvent("e1", "a", "page_view", later, url="https://beacon.test/blog", utm={"source": "mail"}),
            TrackedEvent("e2", "a", "page_view", first, url="https://beacon.test/pricing", utm={"source": "ads"}),
            TrackedEvent("e3", "b", "page_view", first, url="https://beacon.test/", referrer="https://news.test/x"),
            TrackedEvent("e4", "c", "page_view", first, url="https://beacon.test/pricing?x=1"),
        ],
    )
    sources = {group: [s.leads for s in steps][:2] for group, steps in funnel_by(store, "source").items()}
    assert sources == {"ads": [1, 1], "news.test": [1, 0], "direct": [1, 1], "(not tracked)": [1, 0]}
    landing = {group: [s.leads for s in steps][:2] for group, steps in funnel_by(store, "landing").items()}
    assert landing == {"/pricing": [2, 2], "/": [1, 0], "(not tracked)": [1, 0]}


def test_funnel_cli(sqlite_url, tmp_path):
    LeadStore.from_url(sqlite_url).ensure_lead("x")
    env = {"DATABASE_URL": sqlite_url, "LEADQUAL_VAR_DIR": str(tmp_path), "PATH": "/usr/bin:/bin"}
    result = subprocess.run([sys.executable, "-m", "leaddb", "funnel"], env=env, capture_output=True, text=True)
    assert result.returncode == 0 and "visitor" in result.stdout and "1" in result.stdout
    bad = subprocess.run(
        [sys.executable, "-m", "leaddb", "funnel", "--since", "yesterday"], env=env, capture_output=True, text=True
    )
    assert bad.returncode == 2 and "--since must be a date" in bad.stderr
