"""policies.bounded_rule_policy on rules written for it: `conversation_start`, a `condition`, a
rule that is longer than the others and `wait_for_user_input: false`, each asked at the start of
a conversation and again 40 turns in, when the bounded policy no longer sees the start."""

from __future__ import annotations

import pytest
from rasa.core.policies.rule_policy import RulePolicy
from rasa.engine.graph import ExecutionContext, GraphSchema
from rasa.engine.storage.local_model_storage import LocalModelStorage
from rasa.engine.storage.resource import Resource
from rasa.shared.core.constants import ACTION_LISTEN_NAME
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import ActionExecuted, SessionStarted, SlotSet, UserUttered
from rasa.shared.core.generator import TrainingDataGenerator
from rasa.shared.core.trackers import DialogueStateTracker
from rasa.shared.core.training_data.story_reader.yaml_story_reader import YAMLStoryReader
from rasa.shared.core.training_data.structures import StoryGraph

from policies.bounded_rule_policy import BoundedRulePolicy

DOMAIN = """
version: "3.1"
intents: [greet, ask, affirm, bye, chat, extra]
slots:
  vip: {type: bool, influence_conversation: true, mappings: [{type: custom}]}
responses:
  utter_welcome: [{text: welcome}]
  utter_hello_again: [{text: hello again}]
  utter_vip: [{text: vip}]
  utter_plain: [{text: plain}]
  utter_offer: [{text: offer}]
  utter_booked: [{text: booked}]
  utter_bye: [{text: bye}]
  utter_summary: [{text: summary}]
  utter_chat: [{text: chat}]
  utter_extra: [{text: extra}]
"""

RULES = """
version: "3.1"
rules:
  - rule: welcome, only at the start
    conversation_start: true
    steps: [{intent: greet}, {action: utter_welcome}]
  - rule: hello later
    steps: [{intent: greet}, {action: utter_hello_again}]
  - rule: vip question
    condition: [{slot_was_set: [{vip: true}]}]
    steps: [{intent: ask}, {action: utter_vip}]
  - rule: plain question
    condition: [{slot_was_set: [{vip: false}]}]
    steps: [{intent: ask}, {action: utter_plain}]
  - rule: an offer and an extra, taken
    steps: [{action: utter_offer}, {action: utter_extra}, {intent: affirm}, {action: utter_booked}]
  - rule: an extra alone, taken
    steps: [{action: utter_extra}, {intent: affirm}, {action: utter_plain}]
  - rule: offer after a question
    steps: [{intent: chat}, {action: utter_chat}, {action: utter_offer}, {action: utter_extra}]
  - rule: an extra when asked
    steps: [{intent: extra}, {action: utter_extra}]
  - rule: bye, then a summary without waiting
    steps: [{intent: bye}, {action: utter_bye}, {action: utter_summary}]
    wait_for_user_input: false
"""


@pytest.fixture(scope="module")
def trained(tmp_path_factory) -> tuple[Domain, RulePolicy, BoundedRulePolicy]:
    domain = Domain.from_yaml(DOMAIN)
    steps = YAMLStoryReader(domain).read_from_string(RULES)
    trackers = TrainingDataGenerator(StoryGraph(steps), domain, augmentation_factor=0).generate()
    policies = []
    for cls in (RulePolicy, BoundedRulePolicy):
        storage = LocalModelStorage(tmp_path_factory.mktemp(cls.__name__))
        policy = cls.create(
            {**RulePolicy.get_default_config(), "restrict_rules": True},
            storage,
            Resource(cls.__name__),
            ExecutionContext(GraphSchema({})),
        )
        policy.train(trackers, domain)
        policies.append(policy)
    return domain, policies[0], policies[1]


def _next_actions(trained, tracker: DialogueStateTracker) -> list[str]:
    """The actions both policies predict from here until action_listen (they must agree)."""
    domain, rule_policy, bounded = trained
    actions: list[str] = []
    while len(actions) < 5:
        expected = rule_policy.predict_action_probabilities(tracker, domain)
        got = bounded.predict_action_probabilities(tracker, domain)
        assert got.probabilities == expected.probabilities
        assert len(bounded._prediction_states(tracker, domain)) <= bounded.states_kept()
        action = domain.action_names_or_texts[expected.max_confidence_index]
        actions.append(action)
        tracker.update(ActionExecuted(action))
        if action == ACTION_LISTEN_NAME:
            break
    return actions


def _say(trained, tracker: DialogueStateTracker, intent: str) -> list[str]:
    tracker.update(UserUttered(intent, {"name": intent, "confidence": 1.0}))
    return _next_actions(trained, tracker)


def _new_conversation(domain: Domain) -> DialogueStateTracker:
    return DialogueStateTracker.from_events("rules", [ActionExecuted(ACTION_LISTEN_NAME)], domain.slots)


def test_the_bound_covers_the_longest_rule(trained):
    _, rule_policy, bounded = trained
    longest_rule = max(len(RulePolicy._rule_key_to_state(key)) for key in rule_policy.lookup["rules"])
    assert longest_rule == 4  # "an offer and an extra, taken", with the action_listen after it
    assert longest_rule <= bounded.states_kept() <= longest_rule + 1


def test_a_conversation_start_rule_applies_at_the_start_only(trained):
    domain = trained[0]
    tracker = _new_conversation(domain)
    assert _say(trained, tracker, "greet") == ["utter_welcome", ACTION_LISTEN_NAME]
    for _ in range(40):
        _say(trained, tracker, "greet")
    assert _say(trained, tracker, "greet") == ["utter_hello_again", ACTION_LISTEN_NAME]


def test_a_session_start_is_no_conversation_start_for_rasa_either(trained):
    domain = trained[0]
    tracker = DialogueStateTracker.from_events(
        "rules", [ActionExecuted("action_session_start"), SessionStarted()], domain.slots
    )
    tracker.update(ActionExecuted(ACTION_LISTEN_NAME))
    first = _say(trained, tracker, "greet")  # whatever Rasa does, both policies agree (checked inside)
    assert first[-1] == ACTION_LISTEN_NAME


def test_a_condition_set_long_ago_still_holds(trained):
    domain = trained[0]
    tracker = _new_conversation(domain)
    tracker.update(SlotSet("vip", True))
    for _ in range(40):
        _say(trained, tracker, "greet")
    assert _say(trained, tracker, "ask") == ["utter_vip", ACTION_LISTEN_NAME]
    tracker.update(SlotSet("vip", False))
    assert _say(trained, tracker, "ask") == ["utter_plain", ACTION_LISTEN_NAME]


def test_the_longest_rule_and_one_that_does_not_wait_still_apply_late(trained):
    domain = trained[0]
    tracker = _new_conversation(domain)
    for _ in range(40):
        _say(trained, tracker, "greet")
    assert _say(trained, tracker, "chat") == ["utter_chat", "utter_offer", "utter_extra", ACTION_LISTEN_NAME]
    assert _say(trained, tracker, "affirm") == ["utter_booked", ACTION_LISTEN_NAME]
    # no offer before the extra: the longer rule needs its first state, beyond the last two
    assert _say(trained, tracker, "extra") == ["utter_extra", ACTION_LISTEN_NAME]
    assert _say(trained, tracker, "affirm") == ["utter_plain", ACTION_LISTEN_NAME]
    summary = _say(trained, tracker, "bye")
    assert summary[:2] == ["utter_bye", "utter_summary"]
