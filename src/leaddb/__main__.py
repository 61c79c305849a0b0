"""`python -m leaddb funnel [--since YYYY-MM-DD]`: conversion and velocity between stages."""

from __future__ import annotations

import argparse
import sys
from datetime import datetime, timezone

from appconfig.settings import SettingsError, load_settings

from .funnel import funnel
from .store import LeadStore


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m leaddb")
    commands = parser.add_subparsers(dest="command", required=True)
    report = commands.add_parser("funnel", help="conversion and median time between lifecycle stages")
    report.add_argument("--since", help="only leads created on or after this date (YYYY-MM-DD)")
    args = parser.parse_args(argv)
    since = None
    if args.since:
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
    print(f"{'stage':<16}{'leads':>8}{'conversion':>12}{'median hours':>14}")
    for step in funnel(LeadStore.from_url(settings.database_url), since):
        conversion = f"{step.conversion:.0%}" if step.conversion is not None else "-"
        hours = f"{step.median_hours:g}" if step.median_hours is not None else "-"
        print(f"{step.stage:<16}{step.leads:>8}{conversion:>12}{hours:>14}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
