"""200 concurrent conversations to completion against the production profile, while one Rasa
replica is killed, one action server is killed and PostgreSQL is restarted (as
tests/production/test_faults.py does at a small size).

    .venv/bin/python bench/production_load.py [--visitors 200] [--no-faults]

Prints conversations, bookings, leads stored, answers lost, double bookings, and the CRM
receiver's deliveries against distinct idempotency keys. Figures only; nothing is asserted.
Needs this machine's PostgreSQL (restarted mid-run!), Redis, RabbitMQ and nginx.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from launcher.build import ensure_model
from launcher.environment import stack_environment
from tests.support.load_with_faults import run_load
from tests.support.production_stack import running_production_profile


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--visitors", type=int, default=200)
    parser.add_argument("--no-faults", action="store_true")
    args = parser.parse_args()
    ensure_model(stack_environment())
    with running_production_profile() as stack:
        report = run_load(stack, args.visitors, faults=not args.no_faults)
    for line in report.lines():
        print(line, flush=True)
    # Where an answer is missing, the conversation shows whether it was lost or never given;
    # a chat that ended neither booked nor closed shows where it stopped.
    for outcome in report.outcomes:
        unfinished = not (outcome.booked or outcome.closed)
        if outcome.sender in report.answers_lost or unfinished:
            lines = outcome.transcript if outcome.sender in report.answers_lost else outcome.transcript[-8:]
            print(f"\n{'unfinished' if unfinished else 'answers missing'}: {outcome.sender}")
            for who, text in lines:
                print(f"  {who}: {text}")


if __name__ == "__main__":
    main()
