"""`python -m analytics`: the event-broker consumer of the production profile (see consumer.py).
Reads EVENT_BROKER_URL, EVENT_BROKER_QUEUE and DATABASE_URL like every other process."""

from __future__ import annotations

import argparse
import asyncio
import logging
import signal
import sys

from appconfig.logredact import install_log_redaction
from appconfig.settings import SettingsError, load_settings
from leaddb import LeadStore

from .consumer import ConsumerSettings, consume


def main(argv: list[str] | None = None) -> int:
    argparse.ArgumentParser(prog="python -m analytics", description=__doc__).parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    install_log_redaction()
    try:
        settings = load_settings()
    except SettingsError as error:
        print(f"config error: {error}", file=sys.stderr)
        return 2
    store = LeadStore.from_url(settings.database_url)

    async def run() -> None:
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for signum in (signal.SIGTERM, signal.SIGINT):
            loop.add_signal_handler(signum, stop.set)
        counts = await consume(
            ConsumerSettings(settings.event_broker_url, settings.event_broker_queue), store.engine, stop
        )
        logging.getLogger("analytics").info(
            "stopped: %d stored, %d duplicates, %d skipped, %d dropped",
            counts.stored,
            counts.duplicates,
            counts.skipped,
            counts.dropped,
        )

    asyncio.run(run())
    return 0


if __name__ == "__main__":
    sys.exit(main())
