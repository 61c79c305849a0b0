"""Issue 9, item 7: the lead database, Rasa's tracker store (with their -wal/-shm files) and
the logs under var/logs are created for their owner only, not 0644."""

from __future__ import annotations

import os
import stat
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import text

from launcher.stack import open_log, prepare_private_files
from leaddb import LeadStore
from leaddb.base import make_engine


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


@pytest.fixture(autouse=True)
def usual_umask() -> Iterator[None]:
    """The umask most shells have (022 makes new files 0644), whatever this machine's is."""
    previous = os.umask(0o022)
    yield
    os.umask(previous)


def test_the_lead_database_and_its_wal_files_are_owner_only(tmp_path):
    database = tmp_path / "var" / "leads.db"
    store = LeadStore.from_url(f"sqlite:///{database}")
    try:
        with store.engine.begin() as connection:  # a write, so the -wal and -shm files exist
            connection.execute(text("CREATE TABLE probe (x INTEGER)"))
            connection.execute(text("INSERT INTO probe VALUES (1)"))
            created = {path.name: mode(path) for path in database.parent.iterdir()}
    finally:
        store.engine.dispose()
    assert {"leads.db", "leads.db-wal", "leads.db-shm"} <= created.keys()
    assert created == dict.fromkeys(created, 0o600)


def test_an_existing_world_readable_database_is_tightened(tmp_path):
    database = tmp_path / "leads.db"
    database.touch(mode=0o644)
    database.chmod(0o644)
    make_engine(f"sqlite:///{database}").dispose()
    assert mode(database) == 0o600


def test_the_tracker_store_is_created_owner_only_before_rasa_opens_it(tmp_path):
    env = {
        "LEADQUAL_VAR_DIR": str(tmp_path),
        "DATABASE_URL": f"sqlite:///{tmp_path / 'leads.db'}",
        "TRACKER_STORE_URL": f"sqlite:///{tmp_path / 'conversations.db'}",
    }
    prepare_private_files(env)
    assert mode(tmp_path / "conversations.db") == 0o600
    assert mode(tmp_path / "leads.db") == 0o600
    # SQLite (Rasa's SQLAlchemy engine) opens the empty file as a database; its -wal follows its mode.
    engine = make_engine(env["TRACKER_STORE_URL"])
    try:
        with engine.begin() as connection:
            connection.execute(text("CREATE TABLE events (x INTEGER)"))
            assert mode(tmp_path / "conversations.db-wal") == 0o600
    finally:
        engine.dispose()


def test_logs_are_created_without_access_for_others(tmp_path):
    new, old = tmp_path / "rasa.log", tmp_path / "web.log"
    old.write_text("before\n")
    old.chmod(0o644)
    for path in (new, old):
        with open_log(path) as log:
            log.write(b"line\n")
        assert mode(path) & 0o077 in (0, 0o040), oct(mode(path))
        assert not mode(path) & 0o007
    assert old.read_text() == "before\nline\n"
