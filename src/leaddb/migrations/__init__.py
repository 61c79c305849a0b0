"""Schema migrations for the lead database (Alembic; revisions in `versions/`).

Every process that opens the lead store calls `ensure_schema()`: a database at the head revision
costs one query, anything else is upgraded under a lock, so processes starting together take
turns and the second finds nothing left to do. `python -m leaddb migrate` runs the same upgrade.

A database made before Alembic (by `create_all()`, no `alembic_version` table) is adopted: its
columns tell which revision it matches, it is stamped with that one and upgraded from there.

Changing a model needs a new revision: `python -m leaddb revision -m "what changes"` writes one
by comparing the models with a database at head; check it, then set HEAD_REVISION to its id
(tests/leaddb/test_migrations.py fails until the migrated schema equals the models).
"""

from __future__ import annotations

import logging
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sqlalchemy import create_engine, event, inspect, text
from sqlalchemy.engine import Connection, Engine, make_url
from sqlalchemy.engine.url import URL
from sqlalchemy.pool import NullPool

from leaddb.base import use_wal

if TYPE_CHECKING:
    from alembic.config import Config

log = logging.getLogger(__name__)

MIGRATIONS_DIR = Path(__file__).parent
BASELINE_REVISION = "0001"
# Known without loading Alembic, so that a database already at head costs one query at start-up.
HEAD_REVISION = "0010"
# The tables of the baseline, as a database made before Alembic has them. Frozen here, not read
# from the models: tables that later revisions add are no part of what such a database can be.
BASELINE_TABLES = frozenset(
    {
        "events",
        "leads",
        "lead_answers",
        "lead_assignments",
        "meetings",
        "named_locks",
        "outbox",
        "person_requests",
        "qualification_decisions",
        "round_robin_weights",
        "stage_transitions",
    }
)
VERSION_TABLE = "alembic_version"
# pg_advisory_xact_lock key: one migration at a time per PostgreSQL database.
POSTGRES_LOCK_KEY = 0x1EAD_DB_0001


class MigrationError(RuntimeError):
    """The lead database is in a state no revision describes."""


@dataclass(frozen=True)
class MigrationResult:
    before: str | None  # the revision the database was at (None: empty or made before Alembic)
    after: str
    adopted_as: str | None = None  # set when a database made before Alembic was recognised

    @property
    def changed(self) -> bool:
        return self.before != self.after or self.adopted_as is not None


def alembic_config(connection: Connection | None = None, url: str | None = None) -> Config:
    """An Alembic config for this package's migrations; no alembic.ini needed."""
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    if url:
        config.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    config.attributes["connection"] = connection
    return config


def migration_engine(url: str | URL) -> Engine:
    """A short-lived engine for migrating. On SQLite it opens each transaction with BEGIN
    IMMEDIATE (the write lock, taken before anything is read, so concurrent starters queue) and
    leaves foreign keys off, as batch mode needs when it rebuilds a referenced table."""
    url = make_url(url)
    if url.get_backend_name() != "sqlite":
        return create_engine(url, future=True, poolclass=NullPool)
    engine = create_engine(url, future=True, poolclass=NullPool, connect_args={"timeout": 30})

    @event.listens_for(engine, "connect")
    def _connect(dbapi_connection, _record):
        dbapi_connection.isolation_level = None  # the driver leaves BEGIN/COMMIT to us
        use_wal(dbapi_connection)

    @event.listens_for(engine, "begin")
    def _begin(connection):
        connection.exec_driver_sql("BEGIN IMMEDIATE")

    return engine


def _is_memory_sqlite(url: URL) -> bool:
    return url.get_backend_name() == "sqlite" and url.database in (None, "", ":memory:")


def current_revision(connection: Connection) -> str | None:
    if not inspect(connection).has_table(VERSION_TABLE):
        return None
    return connection.execute(text(f"SELECT version_num FROM {VERSION_TABLE}")).scalar()


def ensure_schema(engine: Engine) -> MigrationResult | None:
    """Bring the database to head; None when it already was (then it only read the version)."""
    with engine.connect() as connection:
        at = current_revision(connection)
    if at == HEAD_REVISION:
        return None
    if at is not None and not _is_known(at):
        # A newer release migrated it (a rolling deploy, or a rollback): leave it as it is.
        log.warning("lead database at revision %s, which this release does not know: not migrated", at)
        return None
    return upgrade(engine)


def _is_known(revision: str) -> bool:
    from alembic.script import ScriptDirectory
    from alembic.util import CommandError

    try:
        return ScriptDirectory.from_config(alembic_config()).get_revision(revision) is not None
    except CommandError:  # ResolutionError is one
        return False


def upgrade(target: Engine | str, revision: str = "head") -> MigrationResult:
    """Upgrade to `revision` in one transaction, adopting a database made before Alembic."""
    engine = target if isinstance(target, Engine) else None
    url = engine.url if engine is not None else make_url(str(target))
    if engine is not None and _is_memory_sqlite(url):
        migrating, own = engine, False  # another engine would see another (empty) database
    else:
        migrating, own = migration_engine(url), True
    try:
        with migrating.connect() as connection, connection.begin():
            if connection.dialect.name == "postgresql":
                connection.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": POSTGRES_LOCK_KEY})
            before = current_revision(connection)
            if before is not None and not _is_known(before):
                raise MigrationError(
                    f"the lead database is at revision {before!r}, which this release does not know "
                    "(a newer release migrated it); run that release's migrations, or restore a backup"
                )
            adopted = None
            if before is None and _has_lead_tables(connection):
                adopted = _adopt(connection)
            from alembic import command

            command.upgrade(alembic_config(connection), revision)
            after = current_revision(connection)
            if adopted is not None and after == HEAD_REVISION:
                _warn_about_differences(connection)
    finally:
        if own:
            migrating.dispose()
    if after is None:  # "upgrade" to base
        raise MigrationError(f"the lead database has no revision after upgrading to {revision!r}")
    return MigrationResult(before=before, after=after, adopted_as=adopted)


def _has_lead_tables(connection: Connection) -> bool:
    return bool(BASELINE_TABLES & set(inspect(connection).get_table_names()))


def _script_module(revision: str) -> Any:
    from alembic.script import ScriptDirectory

    script = ScriptDirectory.from_config(alembic_config()).get_revision(revision)
    if script is None:
        raise MigrationError(f"no revision {revision!r} in {MIGRATIONS_DIR / 'versions'}")
    return script.module


def _adopt(connection: Connection) -> str:
    """Stamp a database made by `create_all()` before Alembic with the revision it matches.

    Its tables are those of the baseline; the lead columns that revision 0002 adds tell which
    of the two it is. Some of them but not all (a start-up that stopped halfway through adding
    them, as releases before Alembic did one by one) are completed here, as that start-up would
    have done."""
    from alembic import command

    inspector = inspect(connection)
    tables = set(inspector.get_table_names())
    missing = sorted(BASELINE_TABLES - tables)
    if missing:
        raise MigrationError(
            f"the lead database has no alembic_version table and lacks tables {', '.join(missing)}: "
            "it is older than the baseline revision (0001), so no revision describes it. "
            "Start the release before migrations against it once (it creates missing tables), then this one."
        )
    present = {column["name"] for column in inspector.get_columns("leads")}
    added = _script_module("0002").added_columns()
    have = [column for column in added if column.name in present]
    if not have:
        revision = BASELINE_REVISION
    else:
        for column in added:
            if column.name not in present:
                kind = column.type.compile(dialect=connection.dialect)
                connection.execute(text(f'ALTER TABLE leads ADD COLUMN "{column.name}" {kind}'))
                log.warning("lead database made before migrations: added the missing column leads.%s", column.name)
        revision = "0002"
    command.stamp(alembic_config(connection), revision)
    log.warning("lead database made before migrations: recognised as revision %s and stamped", revision)
    return revision


def schema_differences(connection: Connection) -> list[Any]:
    """What Alembic's autogenerate finds between the database and the models ([] when equal)."""
    from alembic.autogenerate import compare_metadata
    from alembic.migration import MigrationContext

    from leaddb import Base

    context = MigrationContext.configure(connection, opts={"compare_type": True})
    return list(compare_metadata(context, Base.metadata))


def write_revision(message: str, directory: Path | None = None) -> Path:
    """Write the next revision: what autogenerate finds between the models and a scratch
    SQLite database at head. Read it through before committing (renames come out as a drop
    and an add, for one)."""
    from alembic import command
    from alembic.script import ScriptDirectory

    versions = MIGRATIONS_DIR / "versions"
    directory = directory or versions
    head = ScriptDirectory.from_config(alembic_config()).get_current_head()
    next_id = f"{int(head or 0) + 1:04d}"
    with tempfile.TemporaryDirectory() as scratch:
        url = f"sqlite:///{scratch}/head.db"
        upgrade(url)
        engine = migration_engine(url)
        try:
            with engine.connect() as connection, connection.begin():
                config = alembic_config(connection)
                if directory != versions:
                    config.set_main_option("version_locations", f"{versions} {directory}")
                script = command.revision(
                    config, message=message, autogenerate=True, rev_id=next_id, version_path=str(directory)
                )
        finally:
            engine.dispose()
    if script is None or isinstance(script, list):
        raise MigrationError(f"alembic wrote no single revision for {message!r}")
    return Path(script.path)


def _warn_about_differences(connection: Connection) -> None:
    differences = schema_differences(connection)
    if differences:
        log.warning("adopted lead database still differs from the models: %s", differences)
