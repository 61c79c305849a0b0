"""The held-out NLU evaluation sets in bench/heldout/ parse, are big enough and stay held out."""

import re
from collections import Counter
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parent.parent
HELDOUT = ROOT / "bench" / "heldout"
SALES_WORDS_GROUP = "sales_words_not_sales"


def load(name: str) -> dict:
    return yaml.safe_load((HELDOUT / name).read_text(encoding="utf-8"))


def normalised(text: str) -> str:
    """Lower-cased, punctuation gone, single spaces: "Hi there!" and "hi there" are one message."""
    return " ".join(re.sub(r"[^\w\s]", " ", text.lower()).split())


def training_examples() -> set[str]:
    """Every intent example in data/nlu/, normalised, with entity markup `[text](label)` removed."""
    examples = set()
    for path in (ROOT / "data" / "nlu").glob("*.yml"):
        for item in yaml.safe_load(path.read_text(encoding="utf-8"))["nlu"]:
            if "intent" not in item:
                continue  # regex features, synonyms, lookups
            for line in item["examples"].splitlines():
                text = re.sub(r"\[([^\]]*)\]\([^)]*\)", r"\1", line.strip().removeprefix("- "))
                examples.add(normalised(text))
    return examples


@pytest.fixture(scope="module")
def off_topic() -> dict[str, list]:
    return load("off_topic.yml")["domains"]


@pytest.fixture(scope="module")
def in_scope() -> dict[str, dict[str, list]]:
    return load("in_scope.yml")


def all_messages(off_topic, in_scope) -> list:
    groups = (
        list(off_topic.values()) + list(in_scope["intents"].values()) + list((in_scope.get("upcoming") or {}).values())
    )
    return [message for group in groups for message in group]


def test_off_topic_has_320_messages_over_15_domains(off_topic):
    assert len(off_topic) >= 15
    assert sum(len(messages) for messages in off_topic.values()) >= 320
    assert min(len(messages) for messages in off_topic.values()) >= 10
    assert len(off_topic[SALES_WORDS_GROUP]) >= 5


def test_in_scope_covers_every_domain_intent_with_8_messages(in_scope):
    domain_intents = yaml.safe_load((ROOT / "domain.yml").read_text(encoding="utf-8"))["intents"]
    counts = {intent: len(messages) for intent, messages in in_scope["intents"].items()}
    assert set(counts) == set(domain_intents)
    assert min(counts.values()) >= 8
    assert sum(counts.values()) >= 200
    assert max(counts, key=counts.get) == "inform", "visitors mostly answer questions"


def test_support_requests_have_25_messages(in_scope):
    assert len(in_scope["intents"]["support_request"]) >= 25


def test_every_message_is_non_empty_text(off_topic, in_scope):
    odd = [
        message for message in all_messages(off_topic, in_scope) if not isinstance(message, str) or not message.strip()
    ]
    assert odd == [], "quote values YAML reads as booleans, numbers or null"


def test_no_message_appears_twice(off_topic, in_scope):
    counts = Counter(normalised(message) for message in all_messages(off_topic, in_scope))
    assert [text for text, count in counts.items() if count > 1] == []


def test_no_message_is_a_training_example(off_topic, in_scope):
    training = training_examples()
    assert len(training) > 1000, "the training data was not found or not parsed"
    copied = [message for message in all_messages(off_topic, in_scope) if normalised(message) in training]
    assert copied == []


def test_normalised_ignores_case_punctuation_and_spacing():
    assert normalised("  Hi,   there!! ") == normalised("hi there")
    assert normalised("what's up") == "what s up"
