"""Score a trained model's NLU on the held-out sets in bench/heldout/ and print the figures.

    .venv/bin/python bench/nlu_heldout.py [--model models/leadqual.tar.gz] [--heldout bench/heldout] [--json]

- off_topic.yml: everyday requests that are not about buying software. The headline figure is the
  off-topic-to-sales rate: the share whose top intent is one that moves a visitor towards sales
  (SALES_INTENTS), overall and per domain, how many of those were confident, and where they went.
- in_scope.yml: fresh visitor messages labelled with their intent. Accuracy, macro-F1 and per-intent
  F1 over the intents the model knows; groups for intents it does not know yet (the `upcoming`
  ones) are skipped and only show where their messages land.
- Latency of one parse, p50 and p95, one message at a time after a warm-up parse.

The predicted intent is the model's top intent, `nlu_fallback` included: that is what the
assistant acts on. Run it from the project root: SpacyNLP loads build/spacy-en-leads relative to
the current directory. Figures only; nothing is asserted. It never trains.

Targets for the NLU work: off-topic-to-sales at most 3%, in-scope macro-F1 at least 0.95.
Baseline (models/leadqual.tar.gz built 2026-12-02 04:53, main at 690c1b5): off-topic-to-sales 44.0% (154/350, 102 of
them at confidence >= 0.9), in-scope macro-F1 0.914, accuracy 0.898, p50 17 ms, p95 36 ms.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
import os
import statistics
import sys
import time
from collections import Counter
from collections.abc import Callable
from pathlib import Path

import yaml

# The model's pipeline names the project's own components (nlu_components/): import them from here.
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

SALES_INTENTS = ("inform", "ask_pricing", "request_demo", "human_handoff", "affirm")
CONFIDENT = 0.9


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--model", default="models/leadqual.tar.gz", help="trained Rasa model")
    parser.add_argument(
        "--heldout",
        default=str(Path(__file__).resolve().parent / "heldout"),
        help="folder with off_topic.yml and in_scope.yml",
    )
    parser.add_argument("--worst", type=int, default=15, help="how many misclassified examples to show")
    parser.add_argument("--json", action="store_true", help="print one JSON object instead of tables")
    args = parser.parse_args()

    known_intents, parse = load_parser(args.model)
    report = {"model": args.model, **evaluate(parse, known_intents, Path(args.heldout), args.worst)}
    print(json.dumps(report, indent=2) if args.json else as_tables(report))
    return 0


def evaluate(
    parse: Callable[[str], tuple[str, float]], known_intents: set[str], heldout: Path, worst: int = 15
) -> dict:
    """Off-topic, in-scope and latency figures of one parser over the held-out sets in `heldout`."""
    off_topic = yaml.safe_load((heldout / "off_topic.yml").read_text(encoding="utf-8"))["domains"]
    in_scope = yaml.safe_load((heldout / "in_scope.yml").read_text(encoding="utf-8"))
    labelled = {**in_scope["intents"], **(in_scope.get("upcoming") or {})}
    latencies: list[float] = []

    def timed_parse(text: str) -> tuple[str, float]:
        started = time.perf_counter()
        prediction = parse(text)
        latencies.append((time.perf_counter() - started) * 1000)
        return prediction

    parse("hello")  # warm-up: the first parse builds TensorFlow's graph
    off_topic_predictions = {domain: [timed_parse(text) for text in texts] for domain, texts in off_topic.items()}
    in_scope_predictions = {
        intent: [(text, *timed_parse(text)) for text in texts] for intent, texts in labelled.items()
    }
    return {
        "off_topic": score_off_topic(off_topic_predictions),
        "in_scope": score_in_scope(in_scope_predictions, known_intents, worst),
        "latency_ms": {
            "n": len(latencies),
            "p50": round(statistics.median(latencies), 1),
            "p95": round(statistics.quantiles(latencies, n=20, method="inclusive")[-1], 1),
        },
    }


def load_parser(model: str):
    """The intents the model knows and a function text -> (top intent, confidence)."""
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
    os.environ.setdefault("RASA_TELEMETRY_ENABLED", "false")
    from rasa.core.agent import Agent  # imported late: it takes seconds and loads TensorFlow
    from rasa.utils.log_utils import configure_structlog

    # Rasa logs every parse at debug level to stdout unless told otherwise; keep stdout for figures.
    logging.basicConfig(stream=sys.stderr, level=logging.WARNING)
    configure_structlog(logging.WARNING)
    agent = Agent.load(model)
    loop = asyncio.new_event_loop()

    def parse(text: str) -> tuple[str, float]:
        intent = loop.run_until_complete(agent.parse_message(text))["intent"]
        return intent["name"], float(intent["confidence"])  # LogisticRegressionClassifier gives numpy floats

    return set(agent.domain.intents), parse


def score_off_topic(predictions: dict[str, list[tuple[str, float]]]) -> dict:
    def summary(pairs: list[tuple[str, float]]) -> dict:
        to_sales = [(intent, confidence) for intent, confidence in pairs if intent in SALES_INTENTS]
        return {
            "n": len(pairs),
            "to_sales": len(to_sales),
            "rate": round(len(to_sales) / len(pairs), 3),
            "confident_to_sales": sum(confidence >= CONFIDENT for _, confidence in to_sales),
            "landed_in": dict(Counter(intent for intent, _ in to_sales).most_common()),
        }

    every = [pair for pairs in predictions.values() for pair in pairs]
    per_domain = {domain: summary(pairs) for domain, pairs in predictions.items()}
    return {**summary(every), "per_domain": dict(sorted(per_domain.items(), key=lambda item: -item[1]["rate"]))}


def score_in_scope(predictions: dict[str, list[tuple[str, str, float]]], known_intents: set[str], worst: int) -> dict:
    scored = {intent: rows for intent, rows in predictions.items() if intent in known_intents}
    skipped = {
        intent: {"n": len(rows), "landed_in": dict(Counter(predicted for _, predicted, _ in rows).most_common())}
        for intent, rows in predictions.items()
        if intent not in known_intents
    }
    pairs = [(expected, predicted) for expected, rows in scored.items() for _, predicted, _ in rows]
    per_intent = {intent: {"n": len(rows), "f1": round(f1(intent, pairs), 3)} for intent, rows in scored.items()}
    wrong = sorted(
        (
            (confidence, text, expected, predicted)
            for expected, rows in scored.items()
            for text, predicted, confidence in rows
            if predicted != expected
        ),
        reverse=True,
    )
    return {
        "n": len(pairs),
        "accuracy": round(sum(expected == predicted for expected, predicted in pairs) / len(pairs), 3),
        "macro_f1": round(statistics.mean(f1(intent, pairs) for intent in scored), 3),
        "per_intent": per_intent,
        "worst": [
            {"text": text, "expected": expected, "predicted": predicted, "confidence": round(confidence, 3)}
            for confidence, text, expected, predicted in wrong[:worst]
        ],
        "skipped": skipped,
    }


def f1(intent: str, pairs: list[tuple[str, str]]) -> float:
    true_positives = sum(expected == predicted == intent for expected, predicted in pairs)
    predicted_count = sum(predicted == intent for _, predicted in pairs)
    expected_count = sum(expected == intent for expected, _ in pairs)
    # F1 = 2TP / (predicted + expected); 0 when the intent was never predicted correctly.
    return 2 * true_positives / (predicted_count + expected_count) if true_positives else 0.0


def as_tables(report: dict) -> str:
    off, ins, latency = report["off_topic"], report["in_scope"], report["latency_ms"]

    def counts(landed_in: dict[str, int]) -> str:
        return ", ".join(f"{intent} {count}" for intent, count in landed_in.items()) or "-"

    lines = [
        f"model: {report['model']}",
        "",
        f"Off-topic -> sales intent ({', '.join(SALES_INTENTS)})",
        f"  {'domain':<32} {'to sales':>9} {'rate':>7} {'conf>=' + str(CONFIDENT):>9}  landed in",
    ]
    for domain, row in [("ALL", off), *off["per_domain"].items()]:
        lines.append(
            f"  {domain:<32} {row['to_sales']:>4}/{row['n']:<4} {row['rate']:>7.1%} "
            f"{row['confident_to_sales']:>9}  {counts(row['landed_in'])}"
        )
    lines += [
        "",
        f"In-scope ({len(ins['per_intent'])} intents the model knows, {ins['n']} messages): "
        f"accuracy {ins['accuracy']:.3f}, macro-F1 {ins['macro_f1']:.3f}",
        f"  {'intent':<16} {'n':>4} {'F1':>6}",
    ]
    lines += [
        f"  {intent:<16} {row['n']:>4} {row['f1']:>6.3f}"
        for intent, row in sorted(ins["per_intent"].items(), key=lambda item: item[1]["f1"])
    ]
    lines += [
        f"  skipped, model does not know {intent} ({row['n']} messages), they landed in: {counts(row['landed_in'])}"
        for intent, row in ins["skipped"].items()
    ]
    lines += ["", "Worst misclassified in-scope messages (most confident first)"]
    lines += [
        f"  {row['confidence']:.2f}  expected {row['expected']:<14} got {row['predicted']:<14} {row['text']!r}"
        for row in ins["worst"]
    ]
    lines += ["", f"Latency per parse, {latency['n']} messages: p50 {latency['p50']} ms, p95 {latency['p95']} ms"]
    return "\n".join(lines)


if __name__ == "__main__":
    raise SystemExit(main())
