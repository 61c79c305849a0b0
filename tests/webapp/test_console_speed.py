"""Speed to lead on a seeded database against hand-computed figures."""

from datetime import datetime, timedelta, timezone

from leaddb import LeadStore
from leaddb.leads import Lead, StageTransition
from leaddb.meetings import Meeting
from webapp.console.speed import speed_to_lead

T0 = datetime(2026, 2, 2, 9, 0, tzinfo=timezone.utc)


def seed(store, index, visitor, rep, decided_after_minutes):
    store.ensure_lead(visitor)
    store.change_stage(visitor, "sql")
    with store.session() as session:
        lead = session.query(Lead).filter_by(visitor_id=visitor).one()
        session.query(StageTransition).filter_by(lead_id=lead.id).update({"created_at": T0})
        session.add(
            Meeting(
                rep_id=rep,
                lead_id=lead.id,
                start=T0 + timedelta(days=1, hours=index),  # a rep's meetings never overlap
                end=T0 + timedelta(days=1, hours=index, minutes=30),
                status="booked" if decided_after_minutes is None else "accepted",
                decided_at=None if decided_after_minutes is None else T0 + timedelta(minutes=decided_after_minutes),
                ics_uid=f"uid-{visitor}",
                decision_token_hash="x" * 64,
            )
        )


def test_speed_to_lead_per_rep_with_breaches_and_distribution(sqlite_url):
    store = LeadStore.from_url(sqlite_url)
    for index, (visitor, rep, minutes) in enumerate(
        (
            ("a1", "ana", 2),
            ("a2", "ana", 4),
            ("a3", "ana", 30),  # breach
            ("b1", "ben", 300),  # breach
            ("b2", "ben", None),  # undecided for 10 minutes at `now`: a breach
            ("b3", "ben", 1),
        )
    ):
        seed(store, index, visitor, rep, minutes)
    report = speed_to_lead(store, now=T0 + timedelta(minutes=10))
    assert report["reps"] == [
        {"rep_id": "ana", "decided": 3, "waiting": 0, "median_minutes": 4.0, "sla_breaches": 1},
        {"rep_id": "ben", "decided": 2, "waiting": 1, "median_minutes": 150.5, "sla_breaches": 2},
    ]
    assert [b["leads"] for b in report["distribution"]] == [3, 0, 1, 0, 1]
    # A longer SLA: only the 5-hour decision breaches; the undecided one is within 15 minutes.
    relaxed = speed_to_lead(store, now=T0 + timedelta(minutes=10), sla_minutes=60)
    assert [r["sla_breaches"] for r in relaxed["reps"]] == [0, 1]
