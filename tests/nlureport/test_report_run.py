"""`python -m nlureport` end to end on a tiny project (three intents, 2 folds: it trains in
seconds): Rasa's validation, cross-validation, the held-out sets against a trained model, a
conversation corpus through pytest, and the comparison with a previous summary."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
import yaml
from markupsafe import escape

from appconfig.settings import PROJECT_ROOT

RASA = str(Path(sys.executable).with_name("rasa"))
HOSTILE = '<script>alert("hi")</script> hello hey hi there'
EXAMPLES = {
    "greet": ["hi", "hello", "hey there", "hi there", "hello hello", "hey hi", "good morning hi", "hello hey"],
    "goodbye": ["bye", "goodbye", "see you", "bye bye", "see you later", "good night bye", "farewell", "bye now"],
    "ask_pricing": [
        "how much is it",
        "what does it cost",
        "price please",
        "how much does it cost",
        "what is the price",
        "cost of the plan",
        "pricing for ten users",
        "is it expensive",
    ],
}
# Labelled goodbye, worded like a greeting: cross-validation must misread it, hostile text and all.
MISLABELLED = HOSTILE
DOMAIN = """
version: "3.1"
intents: [greet, goodbye, ask_pricing]
responses:
  utter_greet: [{text: "Hello!"}]
  utter_price: [{text: "It costs 10."}]
  utter_bye: [{text: "Bye!"}]
"""
RULES = """
version: "3.1"
rules:
  - rule: greet
    steps: [{intent: greet}, {action: utter_greet}]
  - rule: price
    steps: [{intent: ask_pricing}, {action: utter_price}]
"""
CONFIG = """
recipe: default.v1
language: en
assistant_id: tiny
pipeline:
  - name: WhitespaceTokenizer
  - name: CountVectorsFeaturizer
  - name: LogisticRegressionClassifier
policies:
  - name: RulePolicy
"""
CORPUS = """
import pytest

@pytest.mark.parametrize("visitor", ["says hello", "asks the price", "leaves"])
def test_visitor(visitor):
    print("visitor: " + visitor)
    print("bot: Hello!")
    assert visitor != "asks the price", "tier none, expected sql"

@pytest.mark.xfail(reason="greets twice today", strict=True)
def test_known():
    assert False
"""
PREVIOUS = {
    "generated_at": "2026-12-01T09:00:00+00:00",
    "intents": {
        "macro_f1": 0.1,
        "per_intent": {"greet": {"precision": 0.1, "recall": 0.1, "f1": 0.1, "support": 8}},
        "misreads": [{"text": "a misread fixed since", "expected": "greet", "predicted": "goodbye", "confidence": 0.7}],
    },
    "heldout": {"off_topic": {"rate": 0.9}, "in_scope": {"macro_f1": 0.2}},
    "conversations": {"failed": [{"name": "tiny: fixed visitor"}]},
}


def _nlu_yaml() -> str:
    blocks = []
    for intent, examples in EXAMPLES.items():
        extra = [MISLABELLED] if intent == "goodbye" else []
        lines = "".join(f"    - {text}\n" for text in examples + extra)  # a block: typed as is
        blocks.append(f"- intent: {intent}\n  examples: |\n{lines}")
    return 'version: "3.1"\nnlu:\n' + "".join(blocks)


@pytest.fixture(scope="module")
def tiny_report(tmp_path_factory):
    root = tmp_path_factory.mktemp("tiny-project")
    (root / "data" / "nlu").mkdir(parents=True)
    (root / "data" / "nlu" / "intents.yml").write_text(_nlu_yaml())
    (root / "data" / "rules.yml").write_text(RULES)
    (root / "domain.yml").write_text(DOMAIN)
    (root / "config.yml").write_text(CONFIG)
    (root / "heldout").mkdir()
    (root / "heldout" / "off_topic.yml").write_text(
        yaml.safe_dump({"domains": {"cooking": ["how long do I boil an egg", "hello chef what does salt cost"]}})
    )
    (root / "heldout" / "in_scope.yml").write_text(
        yaml.safe_dump({"intents": {"greet": ["hey hello"], "ask_pricing": ["how much for the plan"]}})
    )
    (root / "corpus_sample.py").write_text(textwrap.dedent(CORPUS))
    env = {**os.environ, "RASA_TELEMETRY_ENABLED": "false", "TF_CPP_MIN_LOG_LEVEL": "3"}
    env["PYTHONPATH"] = os.pathsep.join(
        filter(None, [str(PROJECT_ROOT / "src"), str(PROJECT_ROOT), env.get("PYTHONPATH")])
    )
    trained = subprocess.run(
        [RASA, "train", "--config", "config.yml", "--domain", "domain.yml", "--data", "data", "--out", "models"]
        + ["--fixed-model-name", "tiny"],
        cwd=root,
        env=env,
        capture_output=True,
        text=True,
        timeout=900,
    )
    assert trained.returncode == 0, trained.stdout[-3000:] + trained.stderr[-3000:]
    out = root / "report"
    out.mkdir()
    (out / "latest.json").write_text(json.dumps(PREVIOUS))
    command = [
        sys.executable,
        "-m",
        "nlureport",
        "--folds",
        "2",
        "--out",
        str(out),
        "--nlu",
        str(root / "data" / "nlu"),
    ]
    command += [
        "--data",
        str(root / "data"),
        "--domain",
        str(root / "domain.yml"),
        "--config",
        str(root / "config.yml"),
    ]
    command += ["--model", str(root / "models" / "tiny.tar.gz"), "--heldout", str(root / "heldout")]
    command += ["--conversations", str(root / "corpus_sample.py")]
    run = subprocess.run(command, cwd=PROJECT_ROOT, env=env, capture_output=True, text=True, timeout=1800)
    assert run.returncode == 0, run.stdout[-3000:] + run.stderr[-3000:]
    assert run.stdout.strip().endswith(f"report: {out / 'latest.html'}")
    return json.loads((out / "latest.json").read_text()), (out / "latest.html").read_text(), out


def test_cross_validation_figures_per_intent_and_confusion_matrix(tiny_report):
    summary, page, _ = tiny_report
    intents = summary["intents"]
    assert summary["folds"] == 2
    assert set(intents["per_intent"]) == set(EXAMPLES)
    supports = {name: row["support"] for name, row in intents["per_intent"].items()}
    assert supports == {name: len(texts) + (name == "goodbye") for name, texts in EXAMPLES.items()}
    assert intents["n"] == sum(supports.values())
    for row in intents["per_intent"].values():
        assert 0.0 <= row["precision"] <= 1.0 and 0.0 <= row["recall"] <= 1.0 and 0.0 <= row["f1"] <= 1.0
    # The matrix's rows add up to each intent's examples, its off-diagonal cells to the misreads.
    labels = intents["confusion"]["labels"]
    off_diagonal = 0
    for expected, counts in intents["confusion"]["rows"]:
        assert sum(counts) == supports[expected]
        off_diagonal += sum(count for label, count in zip(labels, counts) if label != expected)
    assert off_diagonal == len(intents["misreads"]) == round(intents["n"] * (1 - intents["accuracy"]))
    assert all(row["expected"] != row["predicted"] for row in intents["misreads"])
    assert 'id="confusion-matrix"' in page and 'class="miss"' in page


def test_a_mislabelled_hostile_example_is_listed_as_a_misread_and_shown_as_text(tiny_report):
    summary, page, _ = tiny_report
    misread = [row for row in summary["intents"]["misreads"] if row["text"] == HOSTILE]
    assert misread and misread[0]["expected"] == "goodbye" and misread[0]["predicted"] == "greet"
    assert 0.0 < misread[0]["confidence"] <= 1.0
    assert "<script>" not in page and escape(HOSTILE) in page


def test_validation_findings_are_read_from_rasa(tiny_report):
    summary, page, _ = tiny_report
    validation = summary["validation"]
    assert validation["returncode"] == 0 and validation["errors"] == 0
    messages = [finding["message"] for finding in validation["findings"] if not finding["expected"]]
    # Only Rasa's findings about the data: not the deprecation warnings other packages print.
    assert messages == ["The intent 'goodbye' is not used in any story or rule."], validation
    assert any("utter_bye" in finding["message"] for finding in validation["findings"] if finding["expected"])
    assert escape(messages[0]) in page


def test_held_out_sets_against_the_trained_model(tiny_report):
    summary, page, _ = tiny_report
    heldout = summary["heldout"]
    assert heldout["off_topic"]["n"] == 2 and heldout["in_scope"]["n"] == 2
    assert set(heldout["in_scope"]["per_intent"]) == {"greet", "ask_pricing"}
    assert heldout["model_is_current"] is None  # not the launcher's model: unknown, not claimed
    assert 'id="heldout-off-topic"' in page


def test_failed_conversations_come_with_their_transcript(tiny_report):
    summary, page, _ = tiny_report
    conversations = summary["conversations"]
    assert conversations["passed"] == 2 and conversations["total"] == 4
    assert [row["name"] for row in conversations["failed"]] == ["asks the price"]
    failed = conversations["failed"][0]
    assert "tier none, expected sql" in failed["reason"]
    assert failed["transcript"] == [
        {"speaker": "visitor", "text": "asks the price"},
        {"speaker": "bot", "text": "Hello!"},
    ]
    assert [row["reason"] for row in conversations["known_failures"]] == ["greets twice today"]
    assert "asks the price" in page and "greets twice today" in page


def test_the_change_since_the_previous_summary(tiny_report):
    summary, page, out = tiny_report
    assert json.loads((out / "previous.json").read_text()) == PREVIOUS
    delta = summary["delta"]
    assert delta["previous_generated_at"] == PREVIOUS["generated_at"]
    greet = next(row for row in delta["per_intent"] if row["intent"] == "greet")
    assert greet["previous"] == 0.1 and greet["delta"] == round(
        summary["intents"]["per_intent"]["greet"]["f1"] - 0.1, 3
    )
    assert [row["text"] for row in delta["fixed_misreads"]] == ["a misread fixed since"]
    assert len(delta["new_misreads"]) == len(summary["intents"]["misreads"])
    assert delta["heldout"]["off_topic_rate"]["previous"] == 0.9
    assert delta["conversations"] == {"newly_failing": ["asks the price"], "fixed": ["tiny: fixed visitor"]}
    assert "a misread fixed since" in page and 'id="delta-intents"' in page
