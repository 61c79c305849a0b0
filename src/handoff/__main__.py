"""The sales team's command line.

    python -m handoff accept  MEETING_ID --token=TOKEN [--reason TEXT]
    python -m handoff reject  MEETING_ID --token=TOKEN --reason TEXT
    python -m handoff outbox  [--requeue MESSAGE_ID]     (lists parked messages)
    python -m handoff feed-url REP_ID
    python -m handoff rotate-feed --rep REP_ID             (revokes the rep's feed URL, prints the new one)
    python -m handoff rotate-invite --meeting MEETING_ID   (revokes the visitor's invite link, prints the new one)
    python -m handoff worker                               (delivers the outbox until stopped; checks the
                                                            SLAs of config/sla.yml every check_every_seconds
                                                            and sends its meeting_reminders; purges events
                                                            and transcripts past retention_days hourly)

The token is the one in the rep's booking email (the same that protects the web links).
Reads DATABASE_URL, LEADQUAL_CONFIG_DIR and the other settings like the servers do.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
import signal
import sys
from collections.abc import Callable

from appconfig.logredact import install_log_redaction
from appconfig.settings import load_settings, secret_key
from appconfig.yamlfile import ConfigError
from leaddb import LeadStore
from leaddb.privacy import RetentionPurge, TrackerStore
from webapp.privacy import load_privacy

from . import (
    DecisionRefused,
    Notifications,
    SlaWatch,
    decide_meeting,
    feed_token_version,
    feed_url,
    invite_url,
    load_nurture,
    load_roster,
    load_sla,
    rotate_feed_token,
    rotate_invite_token,
)
from .outbox import parked_messages, requeue, run_worker
from .reminders import ReminderWatch
from .senders import SmtpSettings, default_senders


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m handoff", description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    commands = parser.add_subparsers(dest="command", required=True)
    for verb in ("accept", "reject"):
        command = commands.add_parser(verb, help=f"{verb} a booked meeting")
        command.add_argument("meeting_id", type=int)
        command.add_argument("--token", required=True, help="the token from the booking email")
        command.add_argument("--reason", required=verb == "reject", help="why (required to reject)")
    outbox = commands.add_parser("outbox", help="list messages that gave up retrying (parked)")
    outbox.add_argument("--requeue", type=int, metavar="MESSAGE_ID", help="retry a parked message")
    feed = commands.add_parser("feed-url", help="a rep's calendar subscription URL")
    feed.add_argument("rep_id")
    rotate_feed = commands.add_parser("rotate-feed", help="revoke a rep's calendar feed URL and print the new one")
    rotate_feed.add_argument("--rep", required=True, metavar="REP_ID")
    rotate_invite = commands.add_parser(
        "rotate-invite", help="revoke the visitor's invite link of a meeting and print the new one"
    )
    rotate_invite.add_argument("--meeting", required=True, type=int, metavar="MEETING_ID")
    worker = commands.add_parser("worker", help="deliver outbox messages (email, webhooks, CRM) until stopped")
    worker.add_argument("--poll-seconds", type=float, default=2.0)
    return parser


def _housekeeping(purge: RetentionPurge, watch: SlaWatch, reminders: ReminderWatch) -> Callable[[], dict | None]:
    """The worker's periodic jobs, each on its own: a failing purge must not stop the SLAs."""
    jobs = (
        ("retention purge", purge.run_if_due),
        ("sla", watch.run_if_due),
        ("meeting reminders", reminders.run_if_due),
    )

    def run() -> dict | None:
        done = {}
        for name, job in jobs:
            try:
                result = job()
            except Exception:
                logging.exception("worker: %s failed", name)
                continue
            if result:
                done[name] = result
        return done or None

    return run


async def _work(store: LeadStore, poll_seconds: float, housekeeping: Callable[[], dict | None]) -> None:
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(signum, stop.set)
    smtp = SmtpSettings.from_env()
    if smtp is None:
        logging.warning("SMTP_HOST is not set: rep emails wait in the outbox until it is")
    await run_worker(
        store,
        default_senders(smtp),
        stop,
        poll_seconds=poll_seconds,
        housekeeping=housekeeping,
    )


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    try:
        settings = load_settings()
        roster = load_roster(settings.config_dir / "roster.yml")
        store = LeadStore.from_url(settings.database_url)
        if args.command in ("feed-url", "rotate-feed"):
            rep_id = args.rep_id if args.command == "feed-url" else args.rep
            if rep_id not in roster.reps:
                print(f"error: no rep {rep_id!r} in the roster", file=sys.stderr)
                return 2
            version = (
                rotate_feed_token(store, rep_id) if args.command == "rotate-feed" else feed_token_version(store, rep_id)
            )
            print(feed_url(settings.public_base_url, secret_key(settings), rep_id, version))
            return 0
        if args.command == "rotate-invite":
            version = rotate_invite_token(store, args.meeting)  # ValueError: no such meeting
            print(invite_url(settings.public_base_url, secret_key(settings), args.meeting, version))
            return 0
        if args.command == "worker":
            install_log_redaction()
            logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
            # Raw events and transcripts older than privacy.yml's retention_days go, at most hourly.
            retention_days = load_privacy(settings.config_dir / "privacy.yml").retention_days
            purge = RetentionPurge(store, TrackerStore(settings.tracker_store_url), retention_days)
            sla, notifications = load_sla(settings.config_dir / "sla.yml"), Notifications.from_env()
            watch = SlaWatch(store, roster, sla, notifications)
            reminders = ReminderWatch(store, roster, sla.meeting_reminders, notifications, sla.check_every_seconds)
            asyncio.run(_work(store, args.poll_seconds, _housekeeping(purge, watch, reminders)))
            return 0
        if args.command == "outbox":
            if args.requeue is not None:
                if not requeue(store, args.requeue):
                    print(f"error: message {args.requeue} is not parked", file=sys.stderr)
                    return 2
                print(f"message {args.requeue} will be retried")
                return 0
            for message in parked_messages(store):
                print(json.dumps(message, default=str))
            return 0
        decision = decide_meeting(
            store,
            args.meeting_id,
            args.token,
            args.command == "accept",
            args.reason,
            roster,
            notifications=Notifications.from_env(),
            nurture=load_nurture(settings.config_dir / "nurture.yml"),
        )
    except ConfigError as error:
        print(f"config error: {error}", file=sys.stderr)
        return 2
    except ValueError as error:  # a malformed setting, e.g. SMTP_PORT
        print(f"error: {error}", file=sys.stderr)
        return 2
    except DecisionRefused as refused:
        print(f"error: {refused}", file=sys.stderr)
        return 2
    track = f"; recycled to nurture track {decision.nurture_track}" if decision.nurture_track else ""
    print(f"meeting {decision.meeting_id} {decision.status}{track}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
