"""The change since the previous report, from the two summaries."""

from __future__ import annotations

import copy

from nlureport.delta import compare

from .samples import summary


def test_no_previous_report_no_comparison():
    assert compare(summary(), None) is None


def test_per_intent_f1_change_and_new_and_fixed_misreads():
    previous = summary()
    current = copy.deepcopy(previous)
    current["intents"]["per_intent"]["ask_pricing"]["f1"] = 0.75
    current["intents"]["per_intent"]["book_meeting"] = {"precision": 1, "recall": 1, "f1": 1.0, "support": 3}
    del current["intents"]["per_intent"]["greet"]
    current["intents"]["macro_f1"] = 0.625
    current["intents"]["misreads"] = [
        {"text": "how much is it", "expected": "ask_pricing", "predicted": "greet", "confidence": 0.6}
    ]
    delta = compare(current, previous)
    assert delta is not None
    rows = {row["intent"]: row for row in delta["per_intent"]}
    assert rows["ask_pricing"] == {"intent": "ask_pricing", "previous": 0.0, "current": 0.75, "delta": 0.75}
    assert rows["greet"] == {"intent": "greet", "previous": 1.0, "current": None, "delta": None}
    assert rows["book_meeting"]["previous"] is None and rows["book_meeting"]["current"] == 1.0
    assert delta["per_intent"][0]["intent"] == "ask_pricing"  # the largest move first
    assert delta["macro_f1"] == {"previous": 0.5, "current": 0.625, "delta": 0.125}
    assert [row["text"] for row in delta["new_misreads"]] == ["how much is it"]
    assert [row["text"] for row in delta["fixed_misreads"]] == ["plain text"]


def test_the_same_text_read_wrongly_under_another_label_is_a_new_misread():
    previous = summary()
    current = copy.deepcopy(previous)
    current["intents"]["misreads"][0]["expected"] = "inform"
    delta = compare(current, previous)
    assert delta is not None
    assert len(delta["new_misreads"]) == 1 and len(delta["fixed_misreads"]) == 1


def test_held_out_and_conversation_changes():
    previous = summary()
    previous["heldout"] = {"off_topic": {"rate": 0.1}, "in_scope": {"macro_f1": 0.9}}
    current = copy.deepcopy(previous)
    current["heldout"] = {"off_topic": {"rate": 0.05}, "in_scope": {"macro_f1": 0.92}}
    current["conversations"]["failed"] = [{"name": "b: newly broken"}]
    delta = compare(current, previous)
    assert delta is not None
    assert delta["heldout"]["off_topic_rate"]["delta"] == -0.05
    assert delta["heldout"]["in_scope_macro_f1"]["delta"] == 0.02
    assert delta["conversations"] == {
        "newly_failing": ["b: newly broken"],
        "fixed": [previous["conversations"]["failed"][0]["name"]],
    }
