"""A report summary in the shape `python -m nlureport` writes, for tests that need one without
training anything (the real run is tests/nlureport/test_report_run.py)."""

from __future__ import annotations

from typing import Any


def summary(hostile: str = "plain text", generated_at: str = "2026-12-01T10:00:00+00:00") -> dict[str, Any]:
    return {
        "generated_at": generated_at,
        "folds": 2,
        "seed": 1,
        "config": "config.yml",
        "nlu": "data/nlu",
        "seconds": {"total": 3},
        "validation": {
            "returncode": 0,
            "errors": 0,
            "warnings": 1,
            "expected": 0,
            "findings": [{"level": "warning", "message": f"warned about {hostile}", "expected": False}],
        },
        "intents": {
            "accuracy": 0.5,
            "macro_f1": 0.5,
            "weighted_f1": 0.5,
            "n": 2,
            "per_intent": {
                "greet": {"precision": 1.0, "recall": 1.0, "f1": 1.0, "support": 1},
                "ask_pricing": {"precision": 0.0, "recall": 0.0, "f1": 0.0, "support": 1},
            },
            "confusion": {"labels": ["ask_pricing", "greet"], "rows": [["greet", [0, 1]], ["ask_pricing", [0, 1]]]},
            "misreads": [{"text": hostile, "expected": "ask_pricing", "predicted": "greet", "confidence": 0.9}],
        },
        "entities": {"extractors": {}, "rules": None},
        "heldout": {"skipped": "no trained model"},
        "conversations": {
            "total": 1,
            "passed": 0,
            "failed": [
                {
                    "name": "visitors: says " + hostile,
                    "test": "t",
                    "reason": hostile,
                    "detail": hostile,
                    "transcript": [{"speaker": "visitor", "text": hostile}, {"speaker": "bot", "text": "Hi!"}],
                }
            ],
            "known_failures": [],
            "skipped": [],
        },
        "delta": None,
    }
