"""Alembic's environment for the lead database.

`leaddb.migrations` runs it (at start-up and for `python -m leaddb migrate`) and hands in an
open connection through `config.attributes["connection"]`; the migrations then run inside the
caller's transaction. Without one, the URL comes from `-x url=...`, the config's
`sqlalchemy.url`, or the project settings (DATABASE_URL).
"""

from __future__ import annotations

from typing import Any, Literal

from alembic import context
from alembic.autogenerate.api import AutogenContext

from leaddb import Base  # importing the package registers every table
from leaddb.base import UTCDateTime
from leaddb.migrations import migration_engine

config = context.config


def _url() -> str:
    url = context.get_x_argument(as_dictionary=True).get("url") or config.get_main_option("sqlalchemy.url")
    if url:
        return url
    from appconfig.settings import load_settings

    return load_settings().database_url


def _render_item(kind: str, item: Any, _context: AutogenContext) -> str | Literal[False]:
    """A written revision stands alone: the models' UTCDateTime is stored as this."""
    if kind == "type" and isinstance(item, UTCDateTime):
        return "sa.DateTime(timezone=True)"
    return False


def _configure(**options) -> None:
    # Batch mode: SQLite can't ALTER most things, so changes there rebuild the table; on
    # PostgreSQL the same operations are plain ALTER TABLE statements.
    context.configure(
        target_metadata=Base.metadata, render_as_batch=True, compare_type=True, render_item=_render_item, **options
    )


if context.is_offline_mode():
    _configure(url=_url(), literal_binds=True)
    with context.begin_transaction():
        context.run_migrations()
else:
    connection = config.attributes.get("connection")
    if connection is not None:
        _configure(connection=connection)
        with context.begin_transaction():
            context.run_migrations()
    else:
        engine = migration_engine(_url())
        try:
            with engine.connect() as own_connection:
                _configure(connection=own_connection)
                with context.begin_transaction():
                    context.run_migrations()
        finally:
            engine.dispose()
