"""The change since the previous report, from its JSON summary: per-intent F1, misreads that are
new or gone, held-out figures and conversations."""

from __future__ import annotations

from typing import Any


def _misread_key(row: dict[str, Any]) -> tuple[str, str]:
    return row["text"], row["expected"]


def _rounded(value: float | None) -> float | None:
    return None if value is None else round(value, 3)


def _change(current: float | None, previous: float | None) -> float | None:
    return None if current is None or previous is None else round(current - previous, 3)


def compare(current: dict[str, Any], previous: dict[str, Any] | None) -> dict[str, Any] | None:
    """What changed from `previous` to `current` (both summaries as written to latest.json), or
    None when there is no previous report to compare with."""
    if not previous:
        return None
    now, before = current.get("intents") or {}, previous.get("intents") or {}
    now_f1 = {name: row["f1"] for name, row in (now.get("per_intent") or {}).items()}
    before_f1 = {name: row["f1"] for name, row in (before.get("per_intent") or {}).items()}
    per_intent = [
        {
            "intent": name,
            "previous": before_f1.get(name),
            "current": now_f1.get(name),
            "delta": _change(now_f1.get(name), before_f1.get(name)),
        }
        for name in sorted(set(now_f1) | set(before_f1))
    ]
    # Largest moves first, so a marketer sees what their edit did at the top; new and gone intents last.
    per_intent.sort(key=lambda row: (row["delta"] is None, -abs(row["delta"] or 0.0), row["intent"]))
    now_misreads = {_misread_key(row): row for row in now.get("misreads") or []}
    before_misreads = {_misread_key(row): row for row in before.get("misreads") or []}
    return {
        "previous_generated_at": previous.get("generated_at"),
        "macro_f1": {
            "previous": _rounded(before.get("macro_f1")),
            "current": _rounded(now.get("macro_f1")),
            "delta": _change(now.get("macro_f1"), before.get("macro_f1")),
        },
        "per_intent": per_intent,
        "new_misreads": [row for key, row in now_misreads.items() if key not in before_misreads],
        "fixed_misreads": [row for key, row in before_misreads.items() if key not in now_misreads],
        "heldout": _heldout_change(current.get("heldout") or {}, previous.get("heldout") or {}),
        "conversations": _conversation_change(current.get("conversations") or {}, previous.get("conversations") or {}),
    }


def _heldout_change(now: dict[str, Any], before: dict[str, Any]) -> dict[str, Any] | None:
    if "off_topic" not in now or "off_topic" not in before:
        return None
    return {
        "off_topic_rate": {
            "previous": before["off_topic"]["rate"],
            "current": now["off_topic"]["rate"],
            "delta": _change(now["off_topic"]["rate"], before["off_topic"]["rate"]),
        },
        "in_scope_macro_f1": {
            "previous": before["in_scope"]["macro_f1"],
            "current": now["in_scope"]["macro_f1"],
            "delta": _change(now["in_scope"]["macro_f1"], before["in_scope"]["macro_f1"]),
        },
    }


def _conversation_change(now: dict[str, Any], before: dict[str, Any]) -> dict[str, Any] | None:
    if "failed" not in now or "failed" not in before:
        return None
    failing_now = {row["name"] for row in now["failed"]}
    failing_before = {row["name"] for row in before["failed"]}
    return {"newly_failing": sorted(failing_now - failing_before), "fixed": sorted(failing_before - failing_now)}
