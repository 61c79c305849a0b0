"""The dialogue policy's own cost per message as a conversation grows: Rasa's RulePolicy against
policies.bounded_rule_policy.BoundedRulePolicy, both loaded from the trained model, replaying a
conversation recorded by the tracker store (the longest one in the file).

    .venv/bin/python bench/rest_conversations.py --profiles '' --skip-baseline --turn-cost
    .venv/bin/python bench/rule_policy_cost.py /tmp/bench-long-*/conversations.db [--model models/leadqual.tar.gz]

Each message starts from a tracker rebuilt from the events before it, as Rasa builds it from the
store, then grows by the actions Rasa took, a prediction before each. Prints the summed prediction
time of the message (best of --repeats) at some turns, and fails if the two policies disagree.
"""

from __future__ import annotations

import argparse
import json
import logging
import sqlite3
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from rasa.core.policies.rule_policy import RulePolicy
from rasa.engine.graph import ExecutionContext
from rasa.engine.storage.local_model_storage import LocalModelStorage
from rasa.shared.core.events import ActionExecuted, Event, UserUttered, deserialise_events
from rasa.shared.core.trackers import DialogueStateTracker
from rasa.utils.log_utils import configure_structlog

from launcher.build import MODEL_PATH
from policies.bounded_rule_policy import BoundedRulePolicy

TURNS = (5, 10, 20, 40, 60, 80)


def _longest_conversation(database: Path) -> tuple[str, list[Event]]:
    with sqlite3.connect(database) as connection:
        sender = connection.execute(
            "SELECT sender_id FROM events GROUP BY sender_id ORDER BY count(*) DESC LIMIT 1"
        ).fetchone()[0]
        rows = connection.execute("SELECT data FROM events WHERE sender_id = ? ORDER BY id", (sender,)).fetchall()
    return sender, deserialise_events([json.loads(data) for (data,) in rows])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("conversations", type=Path, help="a SQLite tracker store (conversations.db)")
    parser.add_argument("--model", type=Path, default=MODEL_PATH)
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    configure_structlog(logging.INFO)  # as `rasa run` does: the policy's debug lines are not printed

    storage, metadata = LocalModelStorage.from_model_archive(Path(tempfile.mkdtemp()), args.model)
    schema = next(node for node in metadata.predict_schema.nodes.values() if issubclass(node.uses, RulePolicy))
    assert schema.resource is not None
    config = {**RulePolicy.get_default_config(), **schema.config}
    context = ExecutionContext(metadata.predict_schema)
    policies = {
        cls.__name__: cls.load(dict(config), storage, schema.resource, context)
        for cls in (RulePolicy, BoundedRulePolicy)
    }
    domain = metadata.domain
    sender, events = _longest_conversation(args.conversations)

    cost: dict[str, dict[int, float]] = {name: {} for name in policies}
    for name, policy in policies.items():
        for _ in range(args.repeats):
            per_turn: dict[int, float] = {}
            turn, tracker = 0, None
            for index, event in enumerate(events):
                if isinstance(event, UserUttered):
                    turn += 1
                    tracker = DialogueStateTracker.from_events(sender, events[: index + 1], domain.slots)
                    continue
                if tracker is None:
                    continue
                if isinstance(event, ActionExecuted):
                    started = time.perf_counter()
                    prediction = policy.predict_action_probabilities(tracker, domain)
                    per_turn[turn] = per_turn.get(turn, 0.0) + time.perf_counter() - started
                    if name == BoundedRulePolicy.__name__:
                        expected = policies[RulePolicy.__name__].predict_action_probabilities(tracker, domain)
                        if prediction.probabilities != expected.probabilities:
                            raise SystemExit(f"the policies disagree at turn {turn}, event {index}")
                tracker.update(event)
            for t, seconds in per_turn.items():
                cost[name][t] = min(cost[name].get(t, seconds), seconds)
    print(f"{sender}: {len(events)} events, {turn} messages; policy time per message (best of {args.repeats}):")
    for name, per_turn in cost.items():
        print(f"  {name:<18} " + "  ".join(f"turn {t}: {1000 * per_turn[t]:5.1f} ms" for t in TURNS if t in per_turn))


if __name__ == "__main__":
    main()
