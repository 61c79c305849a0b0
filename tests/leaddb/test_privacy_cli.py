"""A person's data: `python -m leaddb export / erase` end to end, on real database files (the
lead database and Rasa's own SQL tracker store, written by Rasa's SQLTrackerStore), and the
retention purge the worker runs."""

from __future__ import annotations

import asyncio
import json
import os
import signal
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest
from sqlalchemy import create_engine, func, inspect, select, text

import leaddb
from handoff.data_requests import request_data
from handoff.outbox import enqueue, run_worker
from leaddb import LeadStore
from leaddb.chat_events import chat_event_row, record_chat_events
from leaddb.events import TrackedEvent, ingest_events, visitor_events
from leaddb.leads import Lead, PersonRequest
from leaddb.meetings import LeadAssignment, Meeting, OfferedTime
from leaddb.privacy import TRACKER_EVENTS, RetentionPurge, TrackerStore, purge_expired
from tests.conftest import POSTGRES_URL

ROOT = Path(leaddb.__file__).resolve().parents[2]
EMAIL = "jane.doe_99@acme-widgets.example"
OTHER_EMAIL = "bob@other.example"
JANE_CHAT, JANE_RETURN, BOB = "v-jane-5f3a1c", "v-jane-8e21b7", "v-bob-0c44d2"
NOW = datetime(2026, 12, 2, 12, 0, tzinfo=timezone.utc)

# Writes conversations through Rasa's own SQLTrackerStore (what `rasa run` does with
# endpoints.yml's `tracker_store: {type: SQL, url: ...}`), so the table is exactly Rasa's.
WRITE_TRANSCRIPTS = """
import asyncio, json, sys
from rasa.core.tracker_store import SQLTrackerStore
from rasa.shared.core.events import BotUttered, SlotSet, UserUttered
from rasa.shared.core.trackers import DialogueStateTracker

url, conversations = sys.argv[1], json.loads(sys.argv[2])
store = SQLTrackerStore(host=url)
for sender, turns in conversations.items():
    events = []
    for user_text, email, timestamp in turns:
        events.append(UserUttered(user_text, intent={"name": "inform", "confidence": 1.0}, timestamp=timestamp))
        if email:
            events.append(SlotSet("email", email, timestamp=timestamp))
        events.append(BotUttered("Thanks!", timestamp=timestamp + 1))
    asyncio.run(store.save(DialogueStateTracker.from_events(sender, events)))
store.engine.dispose()
"""


def write_transcripts(url: str, conversations: dict[str, list[tuple[str, str | None, float]]]) -> None:
    env = {**os.environ, "SQLALCHEMY_SILENCE_UBER_WARNING": "1", "PYTHONWARNINGS": "ignore"}
    subprocess.run(
        [sys.executable, "-c", WRITE_TRANSCRIPTS, url, json.dumps(conversations)], check=True, env=env, timeout=120
    )


def leaddb_cli(databases, *args: str, config_dir: Path | None = None) -> subprocess.CompletedProcess:
    env = {
        **os.environ,
        "PYTHONPATH": os.pathsep.join([str(ROOT / "src"), str(ROOT)]),
        "LEADQUAL_VAR_DIR": str(databases.var_dir),
        "DATABASE_URL": databases.lead_url,
        "TRACKER_STORE_URL": databases.tracker_url,
    }
    if config_dir is not None:
        env["LEADQUAL_CONFIG_DIR"] = str(config_dir)
    return subprocess.run(
        [sys.executable, "-m", "leaddb", *args], capture_output=True, text=True, env=env, timeout=120, cwd=ROOT
    )


class Databases:
    def __init__(self, lead_url: str, tracker_url: str, var_dir: Path, files: list[Path]):
        self.lead_url, self.tracker_url, self.var_dir, self.files = lead_url, tracker_url, var_dir, files


def _postgres_schema(admin, schema: str) -> str:
    with admin.begin() as connection:
        connection.execute(text(f'CREATE SCHEMA "{schema}"'))
    return f"{POSTGRES_URL}?options=-csearch_path%3D{schema}"


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def databases(request, tmp_path):
    """The lead database and the tracker store, as two SQLite files or two PostgreSQL schemas."""
    if request.param == "sqlite":
        yield Databases(
            f"sqlite:///{tmp_path / 'leads.db'}",
            f"sqlite:///{tmp_path / 'conversations.db'}",
            tmp_path,
            [tmp_path / "leads.db", tmp_path / "conversations.db"],
        )
        return
    admin = create_engine(POSTGRES_URL, future=True)
    try:
        with admin.connect():
            pass
    except Exception as error:
        admin.dispose()
        if os.getenv("CI"):
            pytest.fail(f"PostgreSQL at {POSTGRES_URL} is not reachable in CI: {error}")
        pytest.skip(f"PostgreSQL at {POSTGRES_URL} is not reachable: {error}")
    schemas = [f"test_{uuid.uuid4().hex[:12]}" for _ in range(2)]
    try:
        urls = [_postgres_schema(admin, schema) for schema in schemas]
        yield Databases(urls[0], urls[1], tmp_path, [])
    finally:
        with admin.begin() as connection:
            for schema in schemas:
                connection.execute(text(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE'))
        admin.dispose()


def event(visitor_id: str, event_id: str, occurred_at: datetime, **fields) -> TrackedEvent:
    return TrackedEvent(event_id=event_id, visitor_id=visitor_id, type="page_view", occurred_at=occurred_at, **fields)


def seed_people(databases: Databases) -> None:
    """Jane: two leads (one address, two visitors, the address typed in two spellings), answers,
    a decision, stage changes, a meeting with offered times, a person request, events, outbox
    messages to her rep and the CRM, two chats. Bob: a lead of his own that must survive."""
    store = LeadStore.from_url(databases.lead_url)
    try:
        now = datetime.now(timezone.utc)
        store.record_answer(JANE_CHAT, "person_name", "I'm Jane Doe", {"person_name": "Jane Doe"})
        store.record_answer(JANE_CHAT, "company", "Acme Widgets", {"company": "Acme Widgets"})
        store.record_answer(
            JANE_CHAT, "email", f"it's {EMAIL}", {"email": EMAIL, "email_domain": "acme-widgets.example"}
        )
        store.record_answer(JANE_CHAT, "need", "route inbound leads for Jane's team", {"need": "lead routing"})
        store.record_decision(JANE_CHAT, "sql", 81.0, ["Jane Doe is a decision maker"], [{"rule": "authority"}])
        store.record_answer(JANE_RETURN, "email", EMAIL.upper(), {"email": EMAIL.upper()})
        store.record_answer(BOB, "email", OTHER_EMAIL, {"email": OTHER_EMAIL, "person_name": "Bob Smith"})
        store.record_decision(BOB, "mql", 42.0, ["Bob is an influencer"], [{"rule": "authority"}])
        with store.session() as session:
            jane = session.execute(select(Lead).where(Lead.visitor_id == JANE_CHAT)).scalar_one()
            session.add(PersonRequest(lead_id=jane.id, message=f"please call me, {EMAIL}"))
            session.add(LeadAssignment(lead_id=jane.id, rep_id="ana", rule="emea", reasons=["EMEA territory"]))
            start = now + timedelta(days=3)
            session.add(OfferedTime(lead_id=jane.id, batch=1, position=0, rep_id="ana", start=start))
            session.add(
                Meeting(
                    rep_id="ana",
                    lead_id=jane.id,
                    start=start,
                    end=start + timedelta(minutes=30),
                    ics_uid=f"meeting-{uuid.uuid4()}",
                    decision_token_hash="0" * 64,
                )
            )
            enqueue(
                session,
                "email",
                "ana@sales.example",
                {
                    "subject": "New meeting: Jane Doe (Acme Widgets)",
                    "text": f"Email: {EMAIL}\nAccept: https://x.example/meetings/1/accept?token=SECRET123",
                },
            )
            enqueue(session, "webhook", "https://hooks.example/slack", {"text": "Jane Doe (Acme Widgets) booked"})
            enqueue(session, "crm", "https://crm.example/in", {"lead": {"visitor_id": JANE_RETURN, "email": None}})
            enqueue(session, "email", EMAIL, {"subject": "Your meeting", "text": "See you then"})
            enqueue(session, "email", "ana@sales.example", {"subject": "Bob Smith", "text": f"Email: {OTHER_EMAIL}"})
            # Her visitor id inside another word is not her.
            enqueue(session, "webhook", "https://hooks.example/x", {"text": f"run {JANE_RETURN}-batch", "id": "x"})
        ingest_events(
            store.engine,
            [
                event(JANE_CHAT, "e1", now - timedelta(days=2), url="https://site.example/pricing"),
                event(JANE_RETURN, "e2", now - timedelta(days=1), properties={"form": "contact", "email": EMAIL}),
                event(BOB, "e3", now - timedelta(days=1), url="https://site.example/blog"),
            ],
        )
        # What the production profile's broker consumer keeps of the chats.
        record_chat_events(
            store.engine,
            [
                chat_event_row(
                    {"sender_id": JANE_CHAT, "event": "user", "timestamp": 1767268800.0, "text": f"it's {EMAIL}"}
                ),
                chat_event_row({"sender_id": JANE_CHAT, "event": "bot", "timestamp": 1767268801.0, "text": "Thanks!"}),
                chat_event_row({"sender_id": BOB, "event": "user", "timestamp": 1767268802.0, "text": OTHER_EMAIL}),
            ],
        )
    finally:
        store.engine.dispose()
    stamp = datetime.now(timezone.utc).timestamp()
    write_transcripts(
        databases.tracker_url,
        {
            JANE_CHAT: [("hi, I need lead routing", None, stamp - 60), (f"it's {EMAIL}", EMAIL, stamp - 30)],
            "v-jane-other-device": [(f"I wrote before as {EMAIL}", None, stamp - 20)],
            BOB: [(f"me: {OTHER_EMAIL}", OTHER_EMAIL, stamp - 10)],
        },
    )


def text_rows_mentioning(url: str, needle: str) -> list[str]:
    """`table.column` of every stored value (any column, as text) that contains `needle`."""
    engine = create_engine(url, future=True)
    found = []
    try:
        schema = inspect(engine)
        with engine.connect() as connection:
            for table_name in schema.get_table_names():
                for column in schema.get_columns(table_name):
                    query = text(
                        f'SELECT COUNT(*) FROM "{table_name}" WHERE LOWER(CAST("{column["name"]}" AS TEXT)) LIKE :n'
                    )
                    if connection.execute(query, {"n": f"%{needle.lower()}%"}).scalar():
                        found.append(f"{table_name}.{column['name']}")
    finally:
        engine.dispose()
    return found


@contextmanager
def held_open(url: str) -> Iterator[None]:
    """An idle connection to the database, as another process of the stack has."""
    engine = create_engine(url, future=True)
    try:
        with engine.connect() as connection:
            connection.execute(
                text("SELECT COUNT(*) FROM sqlite_master" if url.startswith("sqlite") else "SELECT 1")
            ).all()
            connection.commit()
            yield
    finally:
        engine.dispose()


def check_raw_files(databases: Databases) -> None:
    """The address is not left behind in free pages of the files or their write-ahead logs."""
    for path in databases.files:
        for stored in [path, *path.parent.glob(path.name + "-*")]:
            raw = stored.read_bytes().lower()
            for needle in (EMAIL, JANE_CHAT, "jane doe"):
                assert needle.encode() not in raw, (stored.name, needle)


def test_export_prints_everything_stored_about_the_person(databases):
    seed_people(databases)
    result = leaddb_cli(databases, "export", "--email", EMAIL.title())
    assert result.returncode == 0, result.stderr
    exported = json.loads(result.stdout)

    assert exported["found"] is True
    assert {lead["visitor_id"] for lead in exported["leads"]} == {JANE_CHAT, JANE_RETURN}
    assert set(exported["visitor_ids"]) == {JANE_CHAT, JANE_RETURN, "v-jane-other-device"}
    assert {a["raw_text"] for a in exported["lead_answers"]} >= {f"it's {EMAIL}", "I'm Jane Doe", EMAIL.upper()}
    assert [d["tier"] for d in exported["qualification_decisions"]] == ["sql"]
    assert ("visitor", "sql") in {(t["from_stage"], t["to_stage"]) for t in exported["stage_transitions"]}
    assert [r["message"] for r in exported["person_requests"]] == [f"please call me, {EMAIL}"]
    assert [a["rep_id"] for a in exported["lead_assignments"]] == ["ana"]
    assert [m["status"] for m in exported["meetings"]] == ["booked"]
    assert "decision_token_hash" not in exported["meetings"][0]
    assert [c["text"] for c in exported["chat_events"]] == [f"it's {EMAIL}", "Thanks!"]
    assert [o["rep_id"] for o in exported["offered_times"]] == ["ana"]
    assert {(e["visitor_id"], e["event_id"]) for e in exported["events"]} == {(JANE_CHAT, "e1"), (JANE_RETURN, "e2")}
    # The rep's email, the Slack note (her name), the CRM push (her visitor id), the mail to her; not Bob's.
    outbox = {(m["kind"], m["target"]) for m in exported["outbox"]}
    assert outbox == {
        ("email", "ana@sales.example"),
        ("webhook", "https://hooks.example/slack"),
        ("crm", "https://crm.example/in"),
        ("email", EMAIL),
    }
    assert "SECRET123" not in result.stdout  # the rep's accept link is not hers to use
    transcript = exported["transcript"]
    assert {row["sender_id"] for row in transcript} == {JANE_CHAT, "v-jane-other-device"}
    said = [row["data"]["text"] for row in transcript if row["type_name"] == "user"]
    assert f"it's {EMAIL}" in said and "hi, I need lead routing" in said
    assert OTHER_EMAIL not in result.stdout and BOB not in result.stdout

    by_visitor = json.loads(leaddb_cli(databases, "export", "--visitor", JANE_RETURN).stdout)
    # From the visitor id to the address, and from there to her other lead.
    assert {lead["visitor_id"] for lead in by_visitor["leads"]} == {JANE_CHAT, JANE_RETURN}
    assert {row["sender_id"] for row in by_visitor["transcript"]} == {JANE_CHAT, "v-jane-other-device"}


def test_a_chat_data_request_and_the_lead_where_the_address_was_only_typed_are_hers(databases):
    """She typed her address on another device only to ask for her data: that conversation's
    lead has no address of its own, and is hers; so are the requests' rows (never their tokens)."""
    seed_people(databases)
    store = LeadStore.from_url(databases.lead_url)
    try:
        store.record_answer("v-jane-other-device", "need", "fewer dropped leads", {"need": "fewer dropped leads"})
        assert request_data(store, "export", EMAIL.upper(), "https://x.example", 24, datetime.now(timezone.utc))
    finally:
        store.engine.dispose()
    exported = json.loads(leaddb_cli(databases, "export", "--email", EMAIL).stdout)
    assert {lead["visitor_id"] for lead in exported["leads"]} == {JANE_CHAT, JANE_RETURN, "v-jane-other-device"}
    assert [(row["kind"], row["email"]) for row in exported["data_requests"]] == [("export", EMAIL)]
    assert "token_hash" not in exported["data_requests"][0]

    removed = json.loads(leaddb_cli(databases, "erase", "--email", EMAIL).stdout)["removed"]
    assert removed["leads"] == 3 and removed["data_requests"] == 1
    assert text_rows_mentioning(databases.lead_url, EMAIL) == []
    assert text_rows_mentioning(databases.lead_url, "fewer dropped leads") == []


def test_erase_removes_the_address_from_both_databases_and_keeps_everyone_else(databases):
    seed_people(databases)
    assert text_rows_mentioning(databases.lead_url, EMAIL) and text_rows_mentioning(databases.tracker_url, EMAIL)

    # The running stack keeps both files open, so SQLite keeps its write-ahead logs meanwhile.
    with held_open(databases.lead_url), held_open(databases.tracker_url):
        result = leaddb_cli(databases, "erase", "--email", EMAIL)
        assert result.returncode == 0, result.stderr
        check_raw_files(databases)
    check_raw_files(databases)
    removed = json.loads(result.stdout)["removed"]
    assert removed["leads"] == 2
    assert removed["lead_answers"] == 5
    assert removed["qualification_decisions"] == 1
    assert removed["meetings"] == removed["offered_times"] == removed["person_requests"] == 1
    assert removed["events"] == 2
    assert removed["chat_events"] == 2
    assert removed["outbox"] == 4
    assert removed["tracker_events"] == 7  # two turns (user, slot, bot) + one turn (user, bot)
    assert "removed" in result.stderr

    for url in (databases.lead_url, databases.tracker_url):
        for needle in (EMAIL, JANE_CHAT, "Jane Doe"):
            assert text_rows_mentioning(url, needle) == [], (url, needle)
    # Her other visitor id is left only in the message where it is part of another word.
    assert text_rows_mentioning(databases.lead_url, JANE_RETURN) == ["outbox.payload"]
    assert text_rows_mentioning(databases.tracker_url, JANE_RETURN) == []

    # Bob is untouched.
    assert text_rows_mentioning(databases.lead_url, OTHER_EMAIL)
    assert text_rows_mentioning(databases.tracker_url, OTHER_EMAIL)
    bob = json.loads(leaddb_cli(databases, "export", "--visitor", BOB).stdout)
    assert [lead["email"] for lead in bob["leads"]] == [OTHER_EMAIL]
    assert len(bob["events"]) == 1 and len(bob["transcript"]) == 3 and len(bob["outbox"]) == 1

    again = leaddb_cli(databases, "erase", "--email", EMAIL)
    assert again.returncode == 0
    assert set(json.loads(again.stdout)["removed"].values()) == {0}
    assert "nothing is stored" in again.stderr


def test_erase_by_visitor_id(databases):
    seed_people(databases)
    result = leaddb_cli(databases, "erase", "--visitor", JANE_RETURN)
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout)["removed"]["leads"] == 2  # her address leads to her other lead
    assert text_rows_mentioning(databases.lead_url, EMAIL) == []
    assert text_rows_mentioning(databases.tracker_url, EMAIL) == []


def test_an_unknown_person_is_an_empty_result_not_an_error(tmp_path):
    databases = Databases(
        f"sqlite:///{tmp_path / 'leads.db'}", f"sqlite:///{tmp_path / 'conversations.db'}", tmp_path, []
    )
    exported = leaddb_cli(databases, "export", "--email", "nobody@nowhere.example")
    assert exported.returncode == 0, exported.stderr
    body = json.loads(exported.stdout)
    assert body["found"] is False and body["leads"] == body["transcript"] == body["outbox"] == []
    assert "nothing is stored about email nobody@nowhere.example" in exported.stderr
    erased = leaddb_cli(databases, "erase", "--visitor", "v-unknown")
    assert erased.returncode == 0
    assert set(json.loads(erased.stdout)["removed"].values()) == {0}
    assert not (tmp_path / "conversations.db").exists()  # looking did not create Rasa's file


@pytest.mark.parametrize(
    "args, complaint",
    [
        (["export"], "one of the arguments --email --visitor is required"),
        (["export", "--email", "not-an-address"], "not an email address"),
        (["erase", "--email", "a@b.example", "--visitor", "v1"], "not allowed with argument"),
        (["erase", "--visitor", ""], "not a visitor id"),
        (["erase", "--visitor", "x" * 129], "not a visitor id"),
    ],
)
def test_bad_arguments_are_refused_by_argparse(tmp_path, args, complaint):
    databases = Databases(f"sqlite:///{tmp_path / 'leads.db'}", f"sqlite:///{tmp_path / 'c.db'}", tmp_path, [])
    result = leaddb_cli(databases, *args)
    assert result.returncode == 2
    assert complaint in result.stderr and "Traceback" not in result.stderr


# -- retention ---------------------------------------------------------------------------


def seed_old_and_new(databases: Databases, now: datetime) -> None:
    store = LeadStore.from_url(databases.lead_url)
    try:
        ingest_events(
            store.engine,
            [
                event("v-old", "old", now - timedelta(days=31)),
                event("v-mixed", "old", now - timedelta(days=40)),
                event("v-mixed", "new", now - timedelta(days=29)),
            ],
        )
    finally:
        store.engine.dispose()
    write_transcripts(
        databases.tracker_url,
        {
            "v-old": [("hello", None, (now - timedelta(days=31)).timestamp())],
            # Started long ago, still going: kept whole.
            "v-mixed": [
                ("hi", None, (now - timedelta(days=40)).timestamp()),
                ("back", None, (now - timedelta(days=2)).timestamp()),
            ],
        },
    )


def tracker_senders(url: str) -> dict[str, int]:
    engine = create_engine(url, future=True)
    try:
        with engine.connect() as connection:
            rows = connection.execute(
                select(TRACKER_EVENTS.c.sender_id, func.count()).group_by(TRACKER_EVENTS.c.sender_id)
            ).all()
            return dict(rows)  # type: ignore[arg-type]
    finally:
        engine.dispose()


def event_ids(url: str) -> set[tuple[str, str]]:
    store = LeadStore.from_url(url)
    try:
        return {(e.visitor_id, e.event_id) for v in ("v-old", "v-mixed") for e in visitor_events(store.engine, v)}
    finally:
        store.engine.dispose()


async def test_the_worker_purges_old_events_and_transcripts_at_most_hourly(databases):
    seed_old_and_new(databases, NOW)
    store = LeadStore.from_url(databases.lead_url)
    tracker = TrackerStore(databases.tracker_url)
    clock = [NOW]
    purge = RetentionPurge(store, tracker, retention_days=30, clock=lambda: clock[0])
    try:
        stop = asyncio.Event()
        rounds = []

        def housekeeping():
            rounds.append(purge.run_if_due())
            if len(rounds) == 2:
                stop.set()
            return rounds[-1]

        await asyncio.wait_for(run_worker(store, {}, stop, poll_seconds=0.01, housekeeping=housekeeping), 20)
        assert rounds[0] == {
            "cutoff": (NOW - timedelta(days=30)).isoformat(),
            "events": 2,
            "chat_events": 0,
            "data_requests": 0,
            "conversations": 1,
            "tracker_events": 2,
        }
        assert rounds[1] is None  # the next poll, moments later: not due
        assert event_ids(databases.lead_url) == {("v-mixed", "new")}
        assert tracker_senders(databases.tracker_url) == {"v-mixed": 4}

        # An hour has to pass before the next purge, whatever ages in between.
        clock[0] = NOW + timedelta(minutes=59)
        later = NOW + timedelta(days=1, minutes=59)
        ingest_events(store.engine, [event("v-old", "again", later - timedelta(days=31))])
        assert purge.run_if_due() is None
        assert ("v-old", "again") in event_ids(databases.lead_url)
        clock[0] = NOW + timedelta(minutes=60)
        assert purge.run_if_due()["events"] == 1  # type: ignore[index]
        assert event_ids(databases.lead_url) == {("v-mixed", "new")}
    finally:
        tracker.dispose()
        store.engine.dispose()


def test_purge_command_uses_retention_days_from_privacy_yml(tmp_path):
    databases = Databases(
        f"sqlite:///{tmp_path / 'leads.db'}", f"sqlite:///{tmp_path / 'conversations.db'}", tmp_path, []
    )
    now = datetime.now(timezone.utc)
    seed_old_and_new(databases, now)
    config_dir = tmp_path / "config"
    config_dir.mkdir()
    (config_dir / "privacy.yml").write_text("retention_days: 30\n", encoding="utf-8")
    result = leaddb_cli(databases, "purge", config_dir=config_dir)
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout)["events"] == 2
    assert event_ids(databases.lead_url) == {("v-mixed", "new")}
    assert tracker_senders(databases.tracker_url) == {"v-mixed": 4}

    (config_dir / "privacy.yml").write_text("retention_days: 0\n", encoding="utf-8")
    refused = leaddb_cli(databases, "purge", config_dir=config_dir)
    assert refused.returncode == 2
    assert "privacy.yml" in refused.stderr and "retention_days" in refused.stderr


def test_purge_without_a_tracker_store_yet(tmp_path):
    store = LeadStore.from_url(f"sqlite:///{tmp_path / 'leads.db'}")
    try:
        result = purge_expired(store, TrackerStore(f"sqlite:///{tmp_path / 'none.db'}"), 30, NOW)
        assert result["conversations"] == 0
        assert not (tmp_path / "none.db").exists()
    finally:
        store.engine.dispose()


def test_a_lead_database_in_the_tracker_store_url_is_refused(tmp_path):
    url = f"sqlite:///{tmp_path / 'leads.db'}"
    LeadStore.from_url(url).engine.dispose()  # has an `events` table, not Rasa's
    with pytest.raises(ValueError, match="not Rasa's tracker store"):
        TrackerStore(url).table()


def test_the_handoff_worker_process_runs_the_purge(tmp_path):
    """`python -m handoff worker` (what `make start` runs) purges on its first round."""
    databases = Databases(
        f"sqlite:///{tmp_path / 'leads.db'}", f"sqlite:///{tmp_path / 'conversations.db'}", tmp_path, []
    )
    now = datetime.now(timezone.utc)
    seed_old_and_new(databases, now - timedelta(days=395 - 30))  # the shipped privacy.yml keeps 395 days
    env = {
        **os.environ,
        "PYTHONPATH": os.pathsep.join([str(ROOT / "src"), str(ROOT)]),
        "LEADQUAL_VAR_DIR": str(tmp_path),
        "DATABASE_URL": databases.lead_url,
        "TRACKER_STORE_URL": databases.tracker_url,
    }
    env.pop("SMTP_HOST", None)
    worker = subprocess.Popen(
        [sys.executable, "-m", "handoff", "worker", "--poll-seconds", "0.1"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        deadline = time.monotonic() + 60
        while event_ids(databases.lead_url) != {("v-mixed", "new")} and time.monotonic() < deadline:
            assert worker.poll() is None, worker.stderr.read() if worker.stderr else ""
            time.sleep(0.2)
        assert event_ids(databases.lead_url) == {("v-mixed", "new")}
        assert tracker_senders(databases.tracker_url) == {"v-mixed": 4}
    finally:
        worker.send_signal(signal.SIGTERM)
        worker.wait(timeout=30)
