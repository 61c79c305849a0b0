"""NLU cross-validation with Rasa's own `rasa test nlu --cross-validation`, and reading what it
writes: intent_report.json (per-intent figures), intent_errors.json (every misread) and one
<extractor>_report.json per trainable entity extractor. bench/compare_nlu_pipelines.py uses the
same functions."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import yaml

from entity_pipeline import LABELS

# Keys of intent_report.json that are averages, not intents.
SUMMARY_KEYS = ("accuracy", "macro avg", "weighted avg", "micro avg")


def write_minimal_domain(nlu_dir: Path, domain_path: Path) -> None:
    """`rasa test nlu` reads a domain; give it one that lists only what the NLU data uses."""
    intents = set()
    for path in sorted(Path(nlu_dir).rglob("*.yml")):
        for item in (yaml.safe_load(path.read_text(encoding="utf-8")) or {}).get("nlu", []) or []:
            if "intent" in item:
                intents.add(item["intent"])
    domain = {"version": "3.1", "intents": sorted(intents), "entities": list(LABELS)}
    domain_path.write_text(yaml.safe_dump(domain, sort_keys=False), encoding="utf-8")


def cross_validation_command(rasa: str, nlu: str, config: str, folds: int, domain: str, out: str) -> list[str]:
    """Rasa's k-fold cross-validation of `config` on `nlu`, reports (no plots) into `out`."""
    return [
        rasa,
        "test",
        "nlu",
        "--nlu",
        nlu,
        "--config",
        config,
        "--cross-validation",
        "--folds",
        str(folds),
        "--domain",
        domain,
        "--out",
        out,
        "--no-plot",
    ]


def read_scores(out: Path) -> dict[str, Any]:
    """Intent macro-F1 and accuracy from intent_report.json; macro-F1 of each entity extractor."""
    intent_report = json.loads((out / "intent_report.json").read_text())
    return {
        "intent_macro_f1": intent_report["macro avg"]["f1-score"],
        "intent_accuracy": intent_report["accuracy"],
        "entity_macro_f1": {name: report["macro_f1"] for name, report in read_entity_reports(out).items()},
    }


def read_intents(out: Path) -> dict[str, Any]:
    """Per-intent precision, recall, F1 and support; the confusion matrix; every misread."""
    report = json.loads((out / "intent_report.json").read_text())
    errors_path = out / "intent_errors.json"
    errors = json.loads(errors_path.read_text()) if errors_path.exists() else []
    misreads = sorted(
        (
            {
                "text": error["text"],
                "expected": error["intent"],
                "predicted": error["intent_prediction"]["name"] or "(none)",
                "confidence": round(float(error["intent_prediction"]["confidence"] or 0.0), 3),
            }
            for error in errors
        ),
        key=lambda row: (-row["confidence"], row["expected"], row["text"]),
    )
    per_intent = {
        name: {
            "precision": round(figures["precision"], 3),
            "recall": round(figures["recall"], 3),
            "f1": round(figures["f1-score"], 3),
            "support": int(figures["support"]),
        }
        for name, figures in sorted(report.items())
        if name not in SUMMARY_KEYS and int(figures.get("support", 0)) > 0
    }
    return {
        "accuracy": round(report["accuracy"], 3),
        "macro_f1": round(report["macro avg"]["f1-score"], 3),
        "weighted_f1": round(report["weighted avg"]["f1-score"], 3),
        "n": sum(row["support"] for row in per_intent.values()),
        "per_intent": per_intent,
        "confusion": confusion_matrix(per_intent, misreads),
        "misreads": misreads,
    }


def confusion_matrix(per_intent: dict[str, dict[str, Any]], misreads: list[dict[str, Any]]) -> dict[str, Any]:
    """Rows the expected intents, columns every intent predicted: the diagonal is the support less
    the misreads (Rasa's errors file lists every one), the rest are the misreads counted."""
    columns = sorted(set(per_intent) | {row["predicted"] for row in misreads})
    counts = {expected: dict.fromkeys(columns, 0) for expected in per_intent}
    for row in misreads:
        counts[row["expected"]][row["predicted"]] += 1
    for expected, figures in per_intent.items():
        counts[expected][expected] = figures["support"] - sum(
            count for predicted, count in counts[expected].items() if predicted != expected
        )
    return {"labels": columns, "rows": [[expected, [counts[expected][c] for c in columns]] for expected in per_intent]}


def read_entity_reports(out: Path) -> dict[str, dict[str, Any]]:
    """Per trainable extractor (Rasa leaves out pretrained ones such as SpacyEntityExtractor):
    macro-F1 and per-entity figures."""
    reports = {}
    for path in sorted(out.glob("*Extractor_report.json")) + sorted(out.glob("DIETClassifier_report.json")):
        report = json.loads(path.read_text())
        reports[path.stem.removesuffix("_report")] = {
            "macro_f1": round(report["macro avg"]["f1-score"], 3),
            "per_entity": {
                name: {
                    "precision": round(figures["precision"], 3),
                    "recall": round(figures["recall"], 3),
                    "f1": round(figures["f1-score"], 3),
                    "support": int(figures["support"]),
                }
                for name, figures in sorted(report.items())
                if name not in SUMMARY_KEYS and isinstance(figures, dict) and "support" in figures
            },
        }
    return reports
