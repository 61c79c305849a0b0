"""Speed to lead on a seeded database against hand-computed figures."""

from datetime import datetime, timedelta, timezone

from leaddb import LeadStore
from leaddb.leads import Lead, StageTransition
from leaddb.meetings import HandoffAudit, Meeting
from webapp.console.speed import speed_to_lead

T0 = datetime(2026, 2, 2, 9, 0, tzinfo=timezone.utc)
NO_SLA_STEPS = {"sla_reminders": 0, "sla_lapses": 0}


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
        {"rep_id": "ana", "decided": 3, "waiting": 0, "median_minutes": 4.0, "sla_breaches": 1} | NO_SLA_STEPS,
        {"rep_id": "ben", "decided": 2, "waiting": 1, "median_minutes": 150.5, "sla_breaches": 2} | NO_SLA_STEPS,
    ]
    assert [b["leads"] for b in report["distribution"]] == [3, 0, 1, 0, 1]
    # A longer SLA: only the 5-hour decision breaches; the undecided one is within 15 minutes.
    relaxed = speed_to_lead(store, now=T0 + timedelta(minutes=10), sla_minutes=60)
    assert [r["sla_breaches"] for r in relaxed["reps"]] == [0, 1]


def test_the_working_time_sla_steps_count_for_the_rep_who_let_them_lapse(sqlite_url):
    store = LeadStore.from_url(sqlite_url)
    seed(store, 0, "a1", "ana", 3)  # re-routed from cy to ana, who then accepted in 3 minutes
    seed(store, 1, "a2", "ana", None)
    with store.session() as session:
        meetings = {m.lead_id: m.id for m in session.query(Meeting)}
        (first, second) = sorted(meetings)
        for lead_id, action, rep in (
            (first, "sla_reminder", "cy"),
            (first, "sla_rerouted", "cy"),
            (second, "sla_reminder", "ana"),
            (second, "sla_escalated", "ana"),
        ):
            session.add(
                HandoffAudit(lead_id=lead_id, meeting_id=meetings[lead_id], action=action, actor="sla", rep_id=rep)
            )
        # Not SLA steps of a meeting: a person request's reminder and a rep's own decision.
        session.add(HandoffAudit(lead_id=first, person_request_id=1, action="sla_reminder", actor="sla", rep_id="cy"))
        session.add(
            HandoffAudit(lead_id=first, meeting_id=meetings[first], action="accepted", actor="ana", rep_id="ana")
        )
    reps = {row["rep_id"]: row for row in speed_to_lead(store, now=T0 + timedelta(minutes=10))["reps"]}
    assert {rep: (row["sla_reminders"], row["sla_lapses"]) for rep, row in reps.items()} == {
        "ana": (1, 1),
        "cy": (1, 1),
    }
    assert (reps["cy"]["decided"], reps["cy"]["waiting"]) == (0, 0)
