"""`python -m leaddb funnel [--since YYYY-MM-DD]`: conversion and velocity between stages.
`python -m leaddb migrate`: bring the lead database (DATABASE_URL) to the head migration.
`python -m leaddb revision -m MESSAGE`: write the next migration from the models (for developers)."""

from __future__ import annotations

import argparse
import sys
from datetime import datetime, timezone

from sqlalchemy.engine import make_url
from sqlalchemy.exc import SQLAlchemyError

from appconfig.settings import SettingsError, load_settings

from .funnel import funnel
from .migrations import MigrationError, upgrade, write_revision
from .store import LeadStore


def migrate(database_url: str) -> int:
    where = make_url(database_url).render_as_string(hide_password=True)
    try:
        result = upgrade(database_url)
    except MigrationError as error:
        print(f"error: {where}: {error}", file=sys.stderr)
        return 1
    except SQLAlchemyError as error:
        print(f"error: {where}: {type(error).__name__}: {str(error).splitlines()[0]}", file=sys.stderr)
        return 1
    start = result.adopted_as or result.before
    if result.adopted_as:
        print(f"{where}: made before migrations, recognised as revision {result.adopted_as} and stamped")
    if start == result.after:
        print(f"{where}: at revision {result.after} (head)" + ("" if result.adopted_as else ", nothing to do"))
    else:
        print(f"{where}: upgraded from {start or 'an empty database'} to {result.after} (head)")
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m leaddb")
    commands = parser.add_subparsers(dest="command", required=True)
    report = commands.add_parser("funnel", help="conversion and median time between lifecycle stages")
    report.add_argument("--since", help="only leads created on or after this date (YYYY-MM-DD)")
    commands.add_parser("migrate", help="upgrade the lead database to the head revision (start-up does this too)")
    revision = commands.add_parser("revision", help="write the next migration: the models against a database at head")
    revision.add_argument("-m", "--message", required=True, help="what the revision changes")
    args = parser.parse_args(argv)
    if args.command == "revision":
        path = write_revision(args.message)
        print(f"wrote {path}: read it through, then set HEAD_REVISION in leaddb/migrations/__init__.py")
        return 0
    since = None
    if getattr(args, "since", None):
        try:
            since = datetime.fromisoformat(args.since).replace(tzinfo=timezone.utc)
        except ValueError:
            print(f"error: --since must be a date like 2026-01-31, got {args.since!r}", file=sys.stderr)
            return 2
    try:
        settings = load_settings()
    except SettingsError as error:
        print(f"config error: {error}", file=sys.stderr)
        return 2
    if args.command == "migrate":
        return migrate(settings.database_url)
    print(f"{'stage':<16}{'leads':>8}{'conversion':>12}{'median hours':>14}")
    for step in funnel(LeadStore.from_url(settings.database_url), since):
        conversion = f"{step.conversion:.0%}" if step.conversion is not None else "-"
        hours = f"{step.median_hours:g}" if step.median_hours is not None else "-"
        print(f"{step.stage:<16}{step.leads:>8}{conversion:>12}{hours:>14}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
