"""policies.bounded_rule_policy: Rasa's RulePolicy predictions from a bounded tail of the history.

Both policies are loaded from the trained model's lookup (data/rules.yml and data/stories.yml as
trained) and asked at every step of long simulated conversations: random intents, the form
opening, asking, being rejected and completing, tiers and data-request flags set, fallbacks
reverting the message, /back and /restart. Every prediction must be the same, and the states the
bounded one featurises must be the latest of Rasa's and must not grow with the conversation."""

from __future__ import annotations

import random
from pathlib import Path

import pytest
from rasa.core.policies.rule_policy import RulePolicy
from rasa.engine.graph import ExecutionContext
from rasa.engine.storage.local_model_storage import LocalModelStorage
from rasa.shared.core.constants import ACTION_LISTEN_NAME, REQUESTED_SLOT
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import (
    ActionExecuted,
    ActionExecutionRejected,
    ActiveLoop,
    Event,
    Restarted,
    SessionStarted,
    SlotSet,
    UserUtteranceReverted,
    UserUttered,
)
from rasa.shared.core.trackers import DialogueStateTracker

from appconfig.settings import PROJECT_ROOT
from policies.bounded_rule_policy import BoundedRulePolicy, applied_events, states_needed

FORM = "qualification_form"
TURNS = 60


@pytest.fixture(scope="module")
def domain() -> Domain:
    return Domain.load(PROJECT_ROOT / "domain.yml")


@pytest.fixture(scope="module")
def policies(trained_model, tmp_path_factory) -> tuple[RulePolicy, BoundedRulePolicy]:
    storage, metadata = LocalModelStorage.from_model_archive(tmp_path_factory.mktemp("model"), Path(trained_model))
    node = next(name for name, schema in metadata.predict_schema.nodes.items() if issubclass(schema.uses, RulePolicy))
    schema = metadata.predict_schema.nodes[node]
    assert schema.uses is BoundedRulePolicy  # what config.yml ships
    config = {**RulePolicy.get_default_config(), **schema.config}
    resource = schema.resource
    assert resource is not None
    context = ExecutionContext(metadata.predict_schema)
    return (
        RulePolicy.load(dict(config), storage, resource, context),
        BoundedRulePolicy.load(dict(config), storage, resource, context),
    )


def _effects(action: str, tracker: DialogueStateTracker, rng: random.Random) -> list[Event]:
    """What the action server (or Rasa's default action) would add after `action`, roughly."""
    if action == FORM:
        if tracker.active_loop_name != FORM:
            return [ActiveLoop(FORM), SlotSet(REQUESTED_SLOT, "need")]
        if rng.random() < 0.3:
            return [SlotSet(REQUESTED_SLOT, None), ActiveLoop(None)]
        return [SlotSet(REQUESTED_SLOT, rng.choice(["timeline", "budget", "company"]))]
    if action == "action_qualify":
        return [SlotSet("lead_tier", rng.choice(["sql", "mql", "unqualified"]))]
    if action == "action_request_data":
        return [SlotSet("data_request_email_asked", rng.random() < 0.5)]
    if action == "action_deactivate_loop":
        return [ActiveLoop(None)]
    if action == "action_default_fallback":
        return [UserUtteranceReverted()]
    if action == "action_back":
        return [UserUtteranceReverted(), UserUtteranceReverted()]
    if action == "action_restart":
        return [Restarted()]
    return []


def _conversation(seed: int, domain: Domain, policies: tuple[RulePolicy, BoundedRulePolicy]) -> list[int]:
    """Plays one conversation of TURNS messages; returns the bounded policy's state counts."""
    rule_policy, bounded = policies
    rng = random.Random(seed)
    intents = [*domain.intents] + ["inform"] * 10  # answers to the form, mostly
    tracker = DialogueStateTracker.from_events(
        f"sim-{seed}", [ActionExecuted("action_session_start"), SessionStarted()], domain.slots
    )
    tracker.update(ActionExecuted(ACTION_LISTEN_NAME))
    state_counts = []
    for turn in range(TURNS):
        intent = rng.choice(intents)
        tracker.update(UserUttered(f"message {turn}", {"name": intent, "confidence": 1.0}))
        for _ in range(8):  # Rasa's max number of predictions per message is 10
            expected = rule_policy.predict_action_probabilities(tracker, domain)
            got = bounded.predict_action_probabilities(tracker, domain)
            where = f"seed {seed}, turn {turn}, after {tracker.latest_action_name} ({intent})"
            assert got.probabilities == expected.probabilities, where
            assert got.events == expected.events, where
            assert (got.hide_rule_turn, got.is_end_to_end_prediction, got.is_no_user_prediction) == (
                expected.hide_rule_turn,
                expected.is_end_to_end_prediction,
                expected.is_no_user_prediction,
            ), where
            # carried on from the previous call on this tracker, yet Rasa's list, event for event
            assert [id(e) for e in applied_events(tracker)] == [id(e) for e in tracker.applied_events()], where
            latest = bounded._prediction_states(tracker, domain)
            assert latest == rule_policy._prediction_states(tracker, domain)[-len(latest) :], where
            state_counts.append(len(latest))
            action = domain.action_names_or_texts[expected.max_confidence_index]
            for event in expected.events:
                tracker.update(event)
            if action == FORM and tracker.active_loop_name == FORM and rng.random() < 0.15:
                tracker.update(ActionExecutionRejected(FORM))  # the form could not read the answer
                continue
            tracker.update(ActionExecuted(action))
            for event in _effects(action, tracker, rng):
                tracker.update(event)
            if action == ACTION_LISTEN_NAME:
                break
        else:
            tracker.update(ActionExecuted(ACTION_LISTEN_NAME))
    assert len(tracker.events) > 8 * TURNS // 2  # a long conversation, not one cut short by restarts
    return state_counts


@pytest.mark.parametrize("seed", range(6))
def test_predictions_equal_rule_policys_over_long_conversations(seed, domain, policies):
    state_counts = _conversation(seed, domain, policies)
    assert max(state_counts) <= policies[1].states_kept()


def test_the_states_kept_cover_every_trained_rule_and_stay_few(policies):
    rule_policy, bounded = policies
    longest_rule = max(len(RulePolicy._rule_key_to_state(key)) for key in rule_policy.lookup["rules"])
    assert longest_rule <= bounded.states_kept() == states_needed(rule_policy.lookup) <= 10


def test_a_replay_is_not_carried_on_once_the_events_before_the_latest_states_change(domain, policies):
    """Between two predictions on one tracker, a reverted message and new actions: the replay the
    first call kept no longer holds the first of the applied events, and is not reused."""
    rule_policy, bounded = policies
    tracker = DialogueStateTracker.from_events("revert", [ActionExecuted(ACTION_LISTEN_NAME)], domain.slots)
    for turn in range(10):
        tracker.update(UserUttered(f"m{turn}", {"name": "thank", "confidence": 1.0}))
        tracker.update(ActionExecuted("utter_youre_welcome"))
        tracker.update(ActionExecuted(ACTION_LISTEN_NAME))
    keep = bounded.states_kept()
    bounded._prediction_states(tracker, domain)
    for _ in range(keep):  # the latest states are well past the ones the reverts take back
        tracker.update(UserUtteranceReverted())
    tracker.update(SlotSet("lead_tier", "sql"))
    for turn in range(2 * keep):
        tracker.update(UserUttered(f"n{turn}", {"name": "thank", "confidence": 1.0}))
        tracker.update(ActionExecuted("utter_youre_welcome"))
        tracker.update(ActionExecuted(ACTION_LISTEN_NAME))
    latest = bounded._prediction_states(tracker, domain)
    assert len(latest) == keep
    assert latest == rule_policy._prediction_states(tracker, domain)[-keep:]
