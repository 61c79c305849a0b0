"""Alembic migrations of the lead database, on SQLite and on the real PostgreSQL server."""

from __future__ import annotations

import subprocess
import sys
import threading
from pathlib import Path

import pytest
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Column, Integer, MetaData, Table, create_engine, event, inspect, text

import leaddb
from leaddb import Base, LeadStore, UTCDateTime
from leaddb.migrations import (
    HEAD_REVISION,
    MigrationError,
    alembic_config,
    current_revision,
    ensure_schema,
    migration_engine,
    schema_differences,
    upgrade,
    write_revision,
)

ADDED_IN_0002 = {"timeline_earliest_days", "timeline_latest_days", "budget_status"}
ADDED_IN_0007 = {"company_domain", "industry", "industry_source"}
SRC = Path(leaddb.__file__).resolve().parents[1]


def revision_of(url: str) -> str | None:
    engine = create_engine(url, future=True)
    try:
        with engine.connect() as connection:
            return current_revision(connection)
    finally:
        engine.dispose()


def differences(url: str) -> list:
    engine = create_engine(url, future=True)
    try:
        with engine.connect() as connection:
            return schema_differences(connection)
    finally:
        engine.dispose()


def lead_columns(url: str) -> set[str]:
    engine = create_engine(url, future=True)
    try:
        return {column["name"] for column in inspect(engine).get_columns("leads")}
    finally:
        engine.dispose()


def execute(url: str, *statements: str) -> None:
    engine = create_engine(url, future=True)
    try:
        with engine.begin() as connection:
            for statement in statements:
                connection.execute(text(statement))
    finally:
        engine.dispose()


def insert_old_lead(url: str) -> None:
    """A lead with an answer, written the way the release before revision 0002 could."""
    execute(
        url,
        "INSERT INTO leads (id, visitor_id, created_at, updated_at, stage, budget_amount, budget_currency)"
        " VALUES (7, 'v-old', '2026-11-30 10:00:00+00:00', '2026-11-30 10:00:00+00:00', 'mql', 40000, 'EUR')",
        "INSERT INTO lead_answers (lead_id, slot, raw_text, status, created_at)"
        " VALUES (7, 'budget', 'about 40k euros', 'ok', '2026-11-30 10:00:00+00:00')",
    )


def make_like_create_all(url: str, without: frozenset[str] | set[str] = frozenset()) -> None:
    """A database as `Base.metadata.create_all()` made it before Alembic (no alembic_version),
    with the lead columns in `without` left out as an older release left them."""
    engine = create_engine(url, future=True)
    try:
        Base.metadata.create_all(engine)
        with engine.begin() as connection:
            for column in sorted(without):
                connection.execute(text(f"ALTER TABLE leads DROP COLUMN {column}"))
        assert not inspect(engine).has_table("alembic_version")
    finally:
        engine.dispose()


def assert_old_lead_survived(store: LeadStore) -> None:
    lead = store.get_lead("v-old")
    assert lead is not None
    assert (lead["stage"], lead["budget_amount"], lead["budget_currency"]) == ("mql", 40000.0, "EUR")
    assert [a["raw_text"] for a in store.answers("v-old")] == ["about 40k euros"]
    # The columns 0002 added work for it as for any lead.
    store.record_answer("v-old", "budget", "40k, pending approval", {"budget_status": "pending"})
    store.set_fields("v-old", timeline_earliest_days=30, timeline_latest_days=90)
    lead = store.get_lead("v-old")
    assert (lead["budget_status"], lead["timeline_earliest_days"], lead["timeline_latest_days"]) == ("pending", 30, 90)


def test_head_revision_constant_is_the_scripts_head():
    # ensure_schema() compares against the constant to avoid loading Alembic at every start.
    assert ScriptDirectory.from_config(alembic_config()).get_heads() == [HEAD_REVISION]


def test_an_empty_database_is_upgraded_to_head_and_equals_the_models(database_url):
    result = upgrade(database_url)
    assert (result.before, result.after, result.adopted_as) == (None, HEAD_REVISION, None)
    assert revision_of(database_url) == HEAD_REVISION
    # Autogenerate finds nothing between the migrated database and the models: a model changed
    # without a revision (or a revision that differs from the models) fails here.
    assert differences(database_url) == []
    again = upgrade(database_url)
    assert (again.before, again.after, again.changed) == (HEAD_REVISION, HEAD_REVISION, False)


def test_the_baseline_is_the_models_without_the_columns_of_0002(database_url):
    # The schema before commit b0069f2 was today's models less three nullable lead columns:
    # 0002 changes exactly that (and the empty-database test checks head against the models).
    upgrade(database_url, "0001")
    assert revision_of(database_url) == "0001"
    engine = create_engine(database_url, future=True)
    try:
        baseline = MetaData()
        baseline.reflect(bind=engine)
        baseline.remove(baseline.tables["alembic_version"])
        upgrade(database_url, "0002")
        with engine.connect() as connection:
            diffs = compare_metadata(MigrationContext.configure(connection), baseline)
    finally:
        engine.dispose()
    assert all(diff[0] == "remove_column" and diff[2] == "leads" for diff in diffs), diffs
    assert {diff[3].name for diff in diffs} == ADDED_IN_0002


def test_a_database_at_the_baseline_is_upgraded_at_start_and_keeps_its_rows(database_url):
    upgrade(database_url, "0001")
    insert_old_lead(database_url)
    store = LeadStore.from_url(database_url)  # what every process does at start
    try:
        assert revision_of(database_url) == HEAD_REVISION
        assert differences(database_url) == []
        assert_old_lead_survived(store)
    finally:
        store.engine.dispose()


def test_downgrading_to_the_baseline_and_back_keeps_the_rows(database_url):
    upgrade(database_url)
    insert_old_lead(database_url)
    engine = migration_engine(database_url)
    try:
        with engine.connect() as connection, connection.begin():
            command.downgrade(alembic_config(connection), "0001")
    finally:
        engine.dispose()
    assert revision_of(database_url) == "0001"
    assert not ADDED_IN_0002 & lead_columns(database_url)
    store = LeadStore.from_url(database_url)
    try:
        assert_old_lead_survived(store)
        assert differences(database_url) == []
    finally:
        store.engine.dispose()


def test_a_database_at_0006_gains_the_routing_facts_at_start_and_keeps_its_rows(database_url):
    upgrade(database_url, "0006")
    assert not ADDED_IN_0007 & lead_columns(database_url)
    insert_old_lead(database_url)
    store = LeadStore.from_url(database_url)  # what every process does at start
    try:
        assert revision_of(database_url) == HEAD_REVISION
        assert differences(database_url) == []
        assert_old_lead_survived(store)
        execute(
            database_url,
            "UPDATE leads SET company_domain = 'acme.co.uk', industry = 'education', industry_source = 'suffix rule'"
            " WHERE visitor_id = 'v-old'",
        )
        lead = store.get_lead("v-old")
        assert (lead["company_domain"], lead["industry"], lead["industry_source"]) == (
            "acme.co.uk",
            "education",
            "suffix rule",
        )
    finally:
        store.engine.dispose()


def test_downgrading_0007_drops_the_routing_facts_and_keeps_the_rows(database_url):
    upgrade(database_url)
    insert_old_lead(database_url)
    execute(database_url, "UPDATE leads SET company_domain = 'acme.io' WHERE visitor_id = 'v-old'")
    engine = migration_engine(database_url)
    try:
        with engine.connect() as connection, connection.begin():
            command.downgrade(alembic_config(connection), "0006")
    finally:
        engine.dispose()
    assert revision_of(database_url) == "0006"
    assert not ADDED_IN_0007 & lead_columns(database_url)
    assert lead_columns(database_url) >= ADDED_IN_0002
    store = LeadStore.from_url(database_url)  # and up again at start
    try:
        assert revision_of(database_url) == HEAD_REVISION and differences(database_url) == []
        assert_old_lead_survived(store)
        assert store.get_lead("v-old")["company_domain"] is None
    finally:
        store.engine.dispose()


def test_a_database_at_the_previous_head_gains_the_country_and_keeps_its_rows(database_url):
    upgrade(database_url, "0009")
    assert "country" not in lead_columns(database_url)
    insert_old_lead(database_url)
    store = LeadStore.from_url(database_url)  # what every process does at start
    try:
        assert revision_of(database_url) == HEAD_REVISION and differences(database_url) == []
        assert_old_lead_survived(store)
        store.record_answer("v-old", "country", "we're in the UK", {"country": "GB"})
        assert store.get_lead("v-old")["country"] == "GB"
    finally:
        store.engine.dispose()
    engine = migration_engine(database_url)
    try:
        with engine.connect() as connection, connection.begin():
            command.downgrade(alembic_config(connection), "0009")
    finally:
        engine.dispose()
    assert "country" not in lead_columns(database_url)
    assert revision_of(database_url) == "0009"


def test_a_create_all_database_of_today_adopted_early_keeps_the_routing_facts_columns(database_url):
    # Adopted as 0002, then upgraded through 0007, which must not add the columns a second time.
    make_like_create_all(database_url)
    result = upgrade(database_url)
    assert (result.adopted_as, result.after) == ("0002", HEAD_REVISION)
    assert lead_columns(database_url) >= ADDED_IN_0007 and differences(database_url) == []


def test_a_create_all_database_from_before_0002_is_adopted_as_the_baseline(database_url):
    make_like_create_all(database_url, without=ADDED_IN_0002)
    insert_old_lead(database_url)
    result = upgrade(database_url)
    assert (result.before, result.adopted_as, result.after) == (None, "0001", HEAD_REVISION)
    assert differences(database_url) == []
    store = LeadStore.from_url(database_url)
    try:
        assert_old_lead_survived(store)
    finally:
        store.engine.dispose()


def test_a_create_all_database_of_today_is_stamped_head_as_it_is(database_url):
    make_like_create_all(database_url)
    insert_old_lead(database_url)
    store = LeadStore.from_url(database_url)
    try:
        assert revision_of(database_url) == HEAD_REVISION
        assert differences(database_url) == []
        assert_old_lead_survived(store)
    finally:
        store.engine.dispose()
    assert upgrade(database_url).changed is False


def test_a_create_all_database_halfway_through_0002_gets_the_rest(database_url):
    # Releases before Alembic added missing columns one by one at start-up; one that stopped
    # after the first left a database with some of them.
    make_like_create_all(database_url, without={"budget_status", "timeline_latest_days"})
    insert_old_lead(database_url)
    result = upgrade(database_url)
    assert (result.adopted_as, result.after) == ("0002", HEAD_REVISION)
    assert differences(database_url) == []
    store = LeadStore.from_url(database_url)
    try:
        assert_old_lead_survived(store)
    finally:
        store.engine.dispose()


def test_adopting_goes_by_the_baseline_not_by_todays_models(database_url):
    # Once a later revision adds a table, a database made before Alembic still lacks it: that
    # is no reason to refuse it.
    make_like_create_all(database_url, without=ADDED_IN_0002)
    later = Table("added_later", Base.metadata, Column("id", Integer, primary_key=True))
    try:
        result = upgrade(database_url)
    finally:
        Base.metadata.remove(later)
    assert (result.adopted_as, result.after) == ("0001", HEAD_REVISION)
    assert differences(database_url) == []


def test_a_database_older_than_the_baseline_is_refused_with_a_reason(database_url):
    make_like_create_all(database_url)
    execute(database_url, "DROP TABLE person_requests")
    with pytest.raises(MigrationError, match="lacks tables person_requests"):
        upgrade(database_url)
    assert revision_of(database_url) is None  # nothing was stamped


def test_a_database_from_a_newer_release_is_left_alone_at_start_and_refused_by_migrate(database_url):
    upgrade(database_url)
    execute(database_url, "UPDATE alembic_version SET version_num = '0999'")
    store = LeadStore.from_url(database_url)  # an older replica restarting mid-deploy still starts
    try:
        store.ensure_lead("v-1")
        assert store.get_lead("v-1") is not None
    finally:
        store.engine.dispose()
    with pytest.raises(MigrationError, match="revision '0999', which this release does not know"):
        upgrade(database_url)
    assert revision_of(database_url) == "0999"


def test_a_database_at_head_costs_a_read_at_start(database_url):
    upgrade(database_url)
    store = LeadStore(leaddb.make_engine(database_url))
    statements: list[str] = []
    event.listen(store.engine, "before_cursor_execute", lambda *args: statements.append(args[2]))
    try:
        assert ensure_schema(store.engine) is None
        # Is there a version table, and what does it say: nothing else.
        assert len(statements) <= 2 and "version_num FROM alembic_version" in statements[-1], statements
    finally:
        store.engine.dispose()


def test_processes_starting_together_migrate_once(database_url):
    if database_url.startswith("postgresql"):
        # Without the migration lock, starters wait on each other's tables (and on Python's
        # import lock) for ever; lock_timeout turns that into an error, so this fails, not hangs.
        database_url += "%20-clock_timeout%3D15s"
    barrier = threading.Barrier(4)
    errors: list[BaseException] = []

    def start() -> None:
        try:
            barrier.wait()
            LeadStore.from_url(database_url).engine.dispose()
        except BaseException as error:
            errors.append(error)

    threads = [threading.Thread(target=start, daemon=True) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert not [thread for thread in threads if thread.is_alive()]
    assert errors == []
    assert revision_of(database_url) == HEAD_REVISION
    assert differences(database_url) == []


def test_migrate_cli(database_url, tmp_path):
    env = {
        "DATABASE_URL": database_url,
        "LEADQUAL_VAR_DIR": str(tmp_path),
        "PATH": "/usr/bin:/bin",
        "PYTHONPATH": str(SRC),
    }

    def migrate() -> subprocess.CompletedProcess:
        return subprocess.run([sys.executable, "-m", "leaddb", "migrate"], env=env, capture_output=True, text=True)

    first = migrate()
    assert first.returncode == 0, first.stderr
    assert f"upgraded from an empty database to {HEAD_REVISION} (head)" in first.stdout
    assert revision_of(database_url) == HEAD_REVISION
    second = migrate()
    assert second.returncode == 0 and "nothing to do" in second.stdout
    execute(database_url, "DROP TABLE alembic_version", "DROP TABLE person_requests")
    refused = migrate()
    assert refused.returncode == 1 and "lacks tables person_requests" in refused.stderr
    assert "Traceback" not in refused.stderr


def test_a_model_change_becomes_the_next_revision(tmp_path):
    notes = Table(
        "scratch_notes",
        Base.metadata,
        Column("id", Integer, primary_key=True),
        Column("written_at", UTCDateTime, nullable=False),
    )
    try:
        path = write_revision("scratch notes", directory=tmp_path)
    finally:
        Base.metadata.remove(notes)
    assert path.parent == tmp_path and path.name == f"{int(HEAD_REVISION) + 1:04d}_scratch_notes.py"
    source = path.read_text()
    assert f"down_revision = {HEAD_REVISION!r}" in source
    assert "op.create_table(\n        'scratch_notes'" in source or "op.create_table('scratch_notes'" in source
    assert "sa.DateTime(timezone=True)" in source and "UTCDateTime" not in source
    compile(source, str(path), "exec")
