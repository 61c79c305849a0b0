"""Engine, sessions and column types shared by every table of the lead database."""

from __future__ import annotations

import os
import sqlite3
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime, timezone
from pathlib import Path

from sqlalchemy import DateTime, create_engine, event
from sqlalchemy.engine import Engine, make_url
from sqlalchemy.exc import InterfaceError, OperationalError
from sqlalchemy.orm import Session, declarative_base, sessionmaker
from sqlalchemy.pool import QueuePool
from sqlalchemy.types import TypeDecorator
from tenacity import retry, retry_if_exception_type, stop_after_attempt, wait_exponential

Base = declarative_base()


def utcnow() -> datetime:
    return datetime.now(timezone.utc)


class UTCDateTime(TypeDecorator):
    """Timezone-aware UTC datetimes on every backend (SQLite forgets the offset)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value, dialect):
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to a UTC column")
        return value.astimezone(timezone.utc)

    def process_result_value(self, value, dialect):
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=timezone.utc)
        return value.astimezone(timezone.utc)


def use_wal(dbapi_connection: sqlite3.Connection, wait: float = 30.0) -> None:
    """Put a SQLite file in WAL mode. Switching needs the file to itself, and SQLite answers
    "locked" at once rather than wait (a new file that another connection is still writing its
    first transaction into), so it is tried again until `wait` seconds have passed."""
    deadline = time.monotonic() + wait
    while True:
        try:
            dbapi_connection.execute("PRAGMA journal_mode=WAL").fetchall()
            return
        except sqlite3.OperationalError as error:
            if "locked" not in str(error) or time.monotonic() > deadline:
                raise
            time.sleep(0.02)


# Database files hold names, emails and transcripts: readable by their owner only.
PRIVATE_FILE_MODE = 0o600
SQLITE_SIDE_FILES = ("-wal", "-shm", "-journal")


def private_sqlite_file(url: str) -> Path | None:
    """Create the SQLite file of `url` (and its folder) owner-only (0600) before SQLite opens
    it, and make an existing one and its -wal/-shm files 0600. SQLite creates -wal and -shm with
    the mode of the database file, so they follow. Returns the path; None for other databases
    and in-memory SQLite."""
    parsed = make_url(url)
    if not parsed.drivername.startswith("sqlite") or parsed.database in (None, "", ":memory:"):
        return None
    path = Path(parsed.database)
    path.parent.mkdir(parents=True, exist_ok=True)
    descriptor = os.open(path, os.O_RDWR | os.O_CREAT, PRIVATE_FILE_MODE)
    try:
        os.fchmod(descriptor, PRIVATE_FILE_MODE)  # a file from before this rule was 0644
    finally:
        os.close(descriptor)
    for suffix in SQLITE_SIDE_FILES:
        side = path.with_name(path.name + suffix)
        if side.exists():
            side.chmod(PRIVATE_FILE_MODE)
    return path


def make_engine(url: str) -> Engine:
    """An engine for `url`; SQLite files get their folder, owner-only permissions, WAL and a
    busy timeout so the action server, web app and worker can share one file. Database errors
    leave out the statement's values (`hide_parameters`): they are answers, emails and page
    URLs, and the errors end up in logs."""
    if url.startswith("sqlite:///") and url != "sqlite:///:memory:":
        private_sqlite_file(url)
        # A pool keeps connections (and SQLite's page cache) warm; SQLAlchemy 1.4 would open a
        # new connection for every use of a file database.
        engine = create_engine(
            url,
            future=True,
            poolclass=QueuePool,
            connect_args={"timeout": 30, "check_same_thread": False},
            hide_parameters=True,
        )

        @event.listens_for(engine, "connect")
        def _sqlite_pragmas(dbapi_connection, _record):
            use_wal(dbapi_connection)
            cursor = dbapi_connection.cursor()
            cursor.execute("PRAGMA foreign_keys=ON")
            cursor.close()

        return engine
    return create_engine(url, future=True, pool_pre_ping=True, hide_parameters=True)


def make_session_factory(engine: Engine) -> sessionmaker:
    return sessionmaker(bind=engine, future=True, expire_on_commit=False)


@contextmanager
def session_scope(factory: sessionmaker) -> Iterator[Session]:
    """One unit of work: commit on success, roll back on any error."""
    session = factory()
    try:
        yield session
        session.commit()
    except BaseException:
        session.rollback()
        raise
    finally:
        session.close()


# A database that is away for a moment (PostgreSQL restarting, a dropped connection) must not
# cost a visitor's answer: writes on the answer path try again briefly before giving up.
# SQLite's own lock waits are handled by its busy timeout (make_engine).
retry_when_database_is_away = retry(
    retry=retry_if_exception_type((OperationalError, InterfaceError)),
    stop=stop_after_attempt(4),
    wait=wait_exponential(multiplier=0.1, max=1.0),
    reraise=True,
)
