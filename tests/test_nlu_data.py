"""Checks on the NLU training data in data/nlu/."""

import re
from collections import Counter, defaultdict
from pathlib import Path

import pytest
from rasa.shared.nlu.training_data.loading import load_data

from entity_pipeline import LABELS

NLU_DIR = Path(__file__).resolve().parent.parent / "data" / "nlu"
REQUIRED_INTENTS = [
    "greet",
    "goodbye",
    "thank",
    "affirm",
    "deny",
    "request_demo",
    "ask_pricing",
    "inform",
    "ask_why",
    "dont_know",
    "human_handoff",
    "bot_challenge",
    "stop",
    "out_of_scope",
]


@pytest.fixture(scope="module")
def examples():
    return load_data(str(NLU_DIR)).intent_examples


def normalised(text: str) -> str:
    return re.sub(r"\s+", " ", text.strip().lower())


@pytest.mark.parametrize("intent", REQUIRED_INTENTS)
def test_every_intent_has_at_least_40_examples(examples, intent):
    counts = Counter(message.get("intent") for message in examples)
    assert counts[intent] >= 40


def test_inform_has_at_least_300_examples(examples):
    assert sum(message.get("intent") == "inform" for message in examples) >= 300


def test_no_example_is_in_two_intents(examples):
    intents_by_text = defaultdict(set)
    for message in examples:
        intents_by_text[normalised(message.get("text"))].add(message.get("intent"))
    clashes = {text: sorted(intents) for text, intents in intents_by_text.items() if len(intents) > 1}
    assert clashes == {}


def test_every_annotated_entity_is_one_of_the_five(examples):
    used = {entity["entity"] for message in examples for entity in message.get("entities", [])}
    assert used <= set(LABELS)
    assert used == set(LABELS), "every entity type should have annotated examples"


@pytest.mark.parametrize(
    "text, intent",
    [
        ("no", "deny"),
        ("nope", "deny"),
        ("not sure", "dont_know"),
        ("skip", "dont_know"),
        ("rather not say", "dont_know"),
        ("not interested", "stop"),
        ("asap", "inform"),
        ("yes", "affirm"),
    ],
)
def test_bare_answers_are_in_sensible_intents(examples, text, intent):
    assert {message.get("intent") for message in examples if normalised(message.get("text")) == text} == {intent}
