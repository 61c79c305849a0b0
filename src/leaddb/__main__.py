"""`python -m leaddb funnel [--since YYYY-MM-DD]`: conversion and velocity between stages.
`python -m leaddb migrate`: bring the lead database (DATABASE_URL) to the head migration.
`python -m leaddb revision -m MESSAGE`: write the next migration from the models (for developers).
`python -m leaddb export --email ADDRESS | --visitor ID`: one JSON object with everything stored about a person.
`python -m leaddb erase --email ADDRESS | --visitor ID`: remove that person's data everywhere; prints the counts.
`python -m leaddb purge`: delete raw events and transcripts older than retention_days (config/privacy.yml)."""

from __future__ import annotations

import argparse
import sys
from datetime import datetime, timezone

from sqlalchemy.engine import make_url
from sqlalchemy.exc import SQLAlchemyError

from appconfig.settings import SettingsError, load_settings
from appconfig.yamlfile import ConfigError

from .funnel import funnel
from .migrations import MigrationError, upgrade, write_revision
from .privacy import TrackerStore, erase_person, export_person, purge_expired, to_json
from .store import LeadStore

MAX_EMAIL = 320
MAX_VISITOR_ID = 128


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


def _email(text: str) -> str:
    text = text.strip()
    local, at, domain = text.rpartition("@")
    if not at or not local or "." not in domain or any(c.isspace() for c in text) or len(text) > MAX_EMAIL:
        raise argparse.ArgumentTypeError(f"not an email address: {text!r}")
    return text


def _visitor(text: str) -> str:
    if not text or len(text) > MAX_VISITOR_ID or not text.isprintable():
        raise argparse.ArgumentTypeError(f"not a visitor id (1 to {MAX_VISITOR_ID} printable characters): {text!r}")
    return text


def _person_arguments(command: argparse.ArgumentParser) -> None:
    who = command.add_mutually_exclusive_group(required=True)
    who.add_argument("--email", type=_email, metavar="ADDRESS", help="the person's email address")
    who.add_argument("--visitor", type=_visitor, metavar="ID", help="the visitor id (chat sender id)")


def privacy_command(args: argparse.Namespace, database_url: str, tracker_store_url: str, config_dir) -> int:
    store = LeadStore.from_url(database_url)
    tracker = TrackerStore(tracker_store_url)
    who = f"email {args.email}" if getattr(args, "email", None) else f"visitor id {getattr(args, 'visitor', None)}"
    try:
        if args.command == "purge":
            from webapp.privacy import load_privacy  # the file's one reader and validator

            retention_days = load_privacy(config_dir / "privacy.yml").retention_days
            result = purge_expired(store, tracker, retention_days, datetime.now(timezone.utc))
            print(to_json(result))
            print(
                f"deleted {result['events']} event(s) and {result['conversations']} transcript(s)"
                f" ({result['tracker_events']} tracker event(s)) older than {retention_days} days",
                file=sys.stderr,
            )
            return 0
        if args.command == "export":
            exported = export_person(store, tracker, args.email, args.visitor)
            print(to_json(exported))
            if not exported["found"]:
                print(f"nothing is stored about {who}", file=sys.stderr)
            return 0
        erased = erase_person(store, tracker, args.email, args.visitor)
        print(to_json(erased))
        total = sum(erased["removed"].values())
        if erased["found"] or total:
            print(f"removed {total} row(s) about {who}", file=sys.stderr)
        else:
            print(f"nothing is stored about {who}; nothing removed", file=sys.stderr)
        return 0
    finally:
        tracker.dispose()
        store.engine.dispose()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m leaddb")
    commands = parser.add_subparsers(dest="command", required=True)
    report = commands.add_parser("funnel", help="conversion and median time between lifecycle stages")
    report.add_argument("--since", help="only leads created on or after this date (YYYY-MM-DD)")
    commands.add_parser("migrate", help="upgrade the lead database to the head revision (start-up does this too)")
    revision = commands.add_parser("revision", help="write the next migration: the models against a database at head")
    revision.add_argument("-m", "--message", required=True, help="what the revision changes")
    export = commands.add_parser("export", help="print everything stored about a person as one JSON object")
    _person_arguments(export)
    erase = commands.add_parser("erase", help="remove a person's data from the lead database and the tracker store")
    _person_arguments(erase)
    commands.add_parser("purge", help="delete raw events and transcripts older than retention_days (privacy.yml)")
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
    if args.command in ("export", "erase", "purge"):
        try:
            return privacy_command(args, settings.database_url, settings.tracker_store_url, settings.config_dir)
        except ConfigError as error:
            print(f"config error: {error}", file=sys.stderr)
            return 2
        except (SQLAlchemyError, ValueError) as error:
            print(f"error: {type(error).__name__}: {str(error).splitlines()[0]}", file=sys.stderr)
            return 1
    print(f"{'stage':<16}{'leads':>8}{'conversion':>12}{'median hours':>14}")
    for step in funnel(LeadStore.from_url(settings.database_url), since):
        conversion = f"{step.conversion:.0%}" if step.conversion is not None else "-"
        hours = f"{step.median_hours:g}" if step.median_hours is not None else "-"
        print(f"{step.stage:<16}{step.leads:>8}{conversion:>12}{hours:>14}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
