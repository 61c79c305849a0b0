"""The story tests (tests/stories/*.yml) played end to end against the real stack.

Rasa Open Source 3.6 has no `rasa test e2e` (Rasa Pro only), and `rasa test core` neither runs
the custom actions nor checks `slot_was_set`: it feeds those steps in. Here every `user:` line is
sent over the REST channel (with the widget's metadata) to the running Rasa, action server and web app; then the tracker is
read back from Rasa's HTTP API and each user turn is checked in order:

- the intent Rasa's NLU predicted equals the story's `intent:` (where the story gives one);
- the story's `action:` steps after that user line ran, in that order, as a subsequence of the
  actions actually run until the next user message;
- the story's `slot_was_set` values were really set in that segment: each `slot_was_set` step
  after the one before it, the slots within one step in any order (a slot the form sets to the
  raw text first and then to its normalised value matches on the normalised one);
- the story's `active_loop:` steps, likewise, as a subsequence of the actual loop events.

Placeholders, for values that depend on the day the test runs (documented in the story files):

- `user: <first offered time>` sends the payload of the first meeting-time button the bot sent
  last (its `intent:` is still checked, `choose_slot`);
- `<any>`: the slot was set to something other than null (an empty list or text does not count);
- `<days>`: the slot was set to a whole number of days, 0 or more;
- `<offered times>`: the slot holds exactly the start times of the meeting-time buttons the bot
  sent in that turn, in order;
- `<chosen time>`: the slot holds the same instant as the time the visitor chose last (any
  UTC offset).

A story the bot does not follow yet carries, in its `metadata:` (Rasa's story reader accepts any
metadata), `known_failure: {turn: N, reason: "why"}`: the story is then xfail(strict) for that
reason, but only when every turn before N matches and turn N is the first that differs. A fix
(the story passes: XPASS, strict) or a new difference earlier in the story fails the test, and
so does a known failure that moved to a later turn: update the marker.
"""

from __future__ import annotations

import json
import re
import uuid
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

import httpx
import pytest
import yaml

from tests.support.identity import proof_headers
from tests.support.widget import RasaAPI

pytestmark = pytest.mark.e2e

STORIES = Path(__file__).resolve().parent
PICK_FIRST = "<first offered time>"
CHOOSE_SLOT = re.compile(r"^/choose_slot(\{.*\})$", re.S)


@dataclass
class Turn:
    """One `user:` line of a story and the steps that follow it until the next one."""

    text: str
    intent: str | None
    actions: list[str] = field(default_factory=list)
    slots: list[list[tuple[str, Any]]] = field(default_factory=list)  # one list per slot_was_set step
    loops: list[str | None] = field(default_factory=list)


def parse_story(story: dict) -> list[Turn]:
    turns: list[Turn] = []
    for step in story["steps"]:
        if "user" in step or "intent" in step:
            turns.append(Turn(text=str(step.get("user", "")).strip(), intent=step.get("intent")))
            continue
        if not turns:
            raise ValueError(f"story {story['story']!r}: a step before the first user line: {step}")
        turn = turns[-1]
        if "action" in step:
            turn.actions.append(step["action"])
        elif "slot_was_set" in step:
            group: list[tuple[str, Any]] = []
            for item in step["slot_was_set"]:
                if isinstance(item, dict):
                    group.extend(item.items())
                else:  # `- slot_name` means "set to anything"
                    group.append((item, "<any>"))
            turn.slots.append(group)
        elif "active_loop" in step:
            turn.loops.append(step["active_loop"])
        else:
            raise ValueError(f"story {story['story']!r}: a step this runner cannot check: {step}")
    return turns


class KnownFailure(AssertionError):
    """The story differs from the bot first at the turn its `known_failure` names."""


def _known_failure(story: dict) -> dict | None:
    known = (story.get("metadata") or {}).get("known_failure")
    if known is None:
        return None
    if not (isinstance(known, dict) and isinstance(known.get("turn"), int) and known.get("reason")):
        raise ValueError(f"story {story['story']!r}: known_failure needs `turn:` (a number) and `reason:`")
    return known


# Sent with every message, as the website's widget sends the browser's zone: a country no rep
# covers, so routing (and the questions it may need, see tests/conversations/visitors_d.yml)
# stays out of these stories.
WIDGET_METADATA = {"timezone": "Europe/Paris"}


def _stories() -> list:
    params = []
    for path in sorted(STORIES.glob("*.yml")):
        for story in yaml.safe_load(path.read_text(encoding="utf-8"))["stories"]:
            known = _known_failure(story)
            marks = []
            if known:
                reason = f"differs from turn {known['turn']}: {known['reason']}"
                marks.append(pytest.mark.xfail(reason=reason, strict=True, raises=KnownFailure))
            params.append(pytest.param(story, id=f"{path.stem}: {story['story']}", marks=marks))
    return params


def _send(stack, sender: str, text: str) -> list[dict]:
    response = httpx.post(
        f"http://127.0.0.1:{stack.env['RASA_PORT']}/webhooks/rest/webhook",
        json={"sender": sender, "message": text, "metadata": WIDGET_METADATA},
        headers=proof_headers(sender, stack.env),
        timeout=90,
    )
    assert response.status_code == 200, response.text
    return response.json()


def _offered_times(replies: list[dict]) -> list[str]:
    """The start times of the meeting-time buttons in `replies`, in order."""
    times = []
    for reply in replies:
        for button in reply.get("buttons") or []:
            match = CHOOSE_SLOT.match(button.get("payload", ""))
            if match:
                times.append(json.loads(match.group(1))["slot_start"])
    return times


def _instant(value: Any) -> datetime | None:
    try:
        moment = datetime.fromisoformat(str(value))
    except ValueError:
        return None
    return moment if moment.tzinfo else None


@dataclass
class Context:
    """What the placeholders compare against, per turn."""

    offered: list[str]  # meeting times offered in this turn's replies
    chosen: str | None  # the last time the visitor chose


def value_matches(expected: Any, actual: Any, context: Context) -> bool:
    if expected == "<any>":
        return actual is not None and actual != [] and actual != ""
    if expected == "<days>":
        return isinstance(actual, int) and not isinstance(actual, bool) and actual >= 0
    if expected == "<offered times>":
        return bool(context.offered) and actual == context.offered
    if expected == "<chosen time>":
        chosen, got = _instant(context.chosen), _instant(actual)
        return chosen is not None and got is not None and chosen == got
    if isinstance(expected, (int, float)) and not isinstance(expected, bool):
        return isinstance(actual, (int, float)) and not isinstance(actual, bool) and actual == expected
    return actual == expected


def _is_subsequence(expected: list, actual: list, same=lambda e, a: e == a) -> bool:
    position = 0
    for item in actual:
        if position < len(expected) and same(expected[position], item):
            position += 1
    return position == len(expected)


def _groups_in_order(groups: list[list], actual: list, same) -> bool:
    """Each group's items are found in `actual` (in any order within the group, as one
    `slot_was_set` step lists what one action set), and each group after the one before."""
    position = 0
    for group in groups:
        end = position
        used: set[int] = set()
        for expected in group:
            index = next(
                (i for i in range(position, len(actual)) if i not in used and same(expected, actual[i])),
                None,
            )
            if index is None:
                return False
            used.add(index)
            end = max(end, index + 1)
        position = end
    return True


def segments(events: list[dict]) -> list[dict]:
    """The tracker cut at each user message: its intent, then the actions, slot and loop events
    until the next user message (action_listen left out)."""
    found: list[dict] = []
    for event in events:
        kind = event.get("event")
        if kind == "user":
            intent = ((event.get("parse_data") or {}).get("intent") or {}).get("name")
            found.append({"text": event.get("text"), "intent": intent, "actions": [], "slots": [], "loops": []})
        elif not found:
            continue
        elif kind == "action" and event.get("name") != "action_listen":
            found[-1]["actions"].append(event["name"])
        elif kind == "slot":
            found[-1]["slots"].append((event["name"], event.get("value")))
        elif kind == "active_loop":
            found[-1]["loops"].append(event.get("name"))
    return found


def check_turn(index: int, turn: Turn, actual: dict, context: Context) -> list[str]:
    """The differences between one story turn and what the bot really did, as readable lines."""
    problems = []
    if turn.intent is not None and actual["intent"] != turn.intent:
        problems.append(f"intent: expected {turn.intent}, NLU predicted {actual['intent']}")
    if not _is_subsequence(turn.actions, actual["actions"]):
        problems.append(f"actions: expected in this order {turn.actions}, ran {actual['actions']}")

    def same_slot(expected: tuple[str, Any], got: tuple[str, Any]) -> bool:
        return expected[0] == got[0] and value_matches(expected[1], got[1], context)

    if not _groups_in_order(turn.slots, actual["slots"], same_slot):
        expected = " then ".join(
            "[" + ", ".join(f"{name}={value!r}" for name, value in group) + "]" for group in turn.slots
        )
        ran = ", ".join(f"{name}={value!r}" for name, value in actual["slots"]) or "nothing"
        problems.append(f"slots: expected {expected}; set, in order: {ran}")
    if not _is_subsequence(turn.loops, actual["loops"]):
        problems.append(f"active_loop: expected {turn.loops}, got {actual['loops']}")
    if not problems:
        return []
    return [f"turn {index + 1}, user said {turn.text!r}:", *(f"    {line}" for line in problems)]


def play(stack, turns: list[Turn]) -> tuple[str, list[str], list[Context], str | None]:
    """Send the story's user lines; returns the sender, the texts sent, each turn's context and,
    if the story could not be played to its end, why."""
    sender = f"story-{uuid.uuid4().hex[:10]}"
    offered: list[str] = []
    chosen: str | None = None
    sent: list[str] = []
    contexts: list[Context] = []
    for turn in turns:
        text = turn.text
        if text == PICK_FIRST:
            if not offered:
                return sender, sent, contexts, f"no meeting times were offered to choose from before {PICK_FIRST}"
            text = f'/choose_slot{{"slot_start":"{offered[0]}"}}'
        match = CHOOSE_SLOT.match(text)
        if match:
            chosen = json.loads(match.group(1))["slot_start"]
        replies = _send(stack, sender, text)
        sent.append(text)
        this_turn = _offered_times(replies)
        if this_turn:
            offered = this_turn
        contexts.append(Context(offered=this_turn, chosen=chosen))
    return sender, sent, contexts, None


def differences(turns: list[Turn], actual: list[dict], contexts: list[Context], stopped: str | None) -> dict[int, list]:
    """Turn number (from 1) -> the lines that say how that turn differs."""
    found = {}
    for index, (turn, segment, context) in enumerate(zip(turns, actual, contexts)):
        lines = check_turn(index, turn, segment, context)
        if lines:
            found[index + 1] = lines
    if stopped:
        number = len(contexts) + 1
        found[number] = [f"turn {number}, user line {turns[number - 1].text!r}:", f"    {stopped}"]
    return found


@pytest.mark.parametrize("story", _stories())
def test_story(running_stack, story):
    turns = parse_story(story)
    sender, sent, contexts, stopped = play(running_stack, turns)
    actual = segments(RasaAPI(running_stack.env).tracker(sender)["events"])
    assert [segment["text"] for segment in actual] == sent, "the tracker does not hold the messages sent"
    found = differences(turns, actual, contexts, stopped)
    report = f"story {story['story']!r} (sender {sender}):\n" + "\n".join(
        line for lines in found.values() for line in lines
    )
    verdict = judge(_known_failure(story), found)
    if verdict == "known failure":
        raise KnownFailure(report)
    if verdict != "pass":
        pytest.fail(report if verdict == "differs" else f"{report}\n{verdict}", pytrace=False)


def judge(known: dict | None, found: dict[int, list]) -> str:
    """ "pass", "known failure" (the first difference is at the turn `known` names) or why not."""
    if not found:
        return "pass"
    if known and min(found) == known["turn"]:
        return "known failure"
    if known:
        return f"known_failure names turn {known['turn']}, but the first difference is at turn {min(found)}"
    return "differs"


def test_the_checks_can_fail():
    """The comparison itself, on a made-up segment: each kind of difference is reported."""
    segment = {
        "text": "hi",
        "intent": "greet",
        "actions": ["action_greet", "qualification_form"],
        "slots": [("timeline", "in 6 weeks"), ("timeline", 42), ("requested_slot", "authority")],
        "loops": ["qualification_form"],
    }
    context = Context(offered=[], chosen=None)
    good = Turn("hi", "greet", ["action_greet", "qualification_form"], [[("timeline", 42)]], ["qualification_form"])
    assert check_turn(0, good, segment, context) == []
    assert check_turn(0, Turn("hi", "greet", slots=[[("timeline", "<days>")]]), segment, context) == []
    one_step = [[("requested_slot", "authority"), ("timeline", 42)]]  # one step: any order
    assert check_turn(0, Turn("hi", None, slots=one_step), segment, context) == []
    wrong = [
        Turn("hi", "inform"),
        Turn("hi", None, ["qualification_form", "action_greet"]),
        Turn("hi", None, slots=[[("timeline", 41)]]),
        Turn("hi", None, slots=[[("requested_slot", "authority")], [("timeline", 42)]]),  # two steps
        Turn("hi", None, slots=[[("budget", "<any>")]]),
        Turn("hi", None, slots=[[("timeline", "42")]]),
        Turn("hi", None, slots=[[("timeline", 42), ("timeline", 42)]]),  # set once, not twice
        Turn("hi", None, loops=[None]),
    ]
    for turn in wrong:
        assert check_turn(0, turn, segment, context), turn
    offered = ["2026-11-24T14:00:00+00:00"]
    assert value_matches("<offered times>", offered, Context(offered=offered, chosen=None))
    assert not value_matches("<offered times>", offered, Context(offered=[], chosen=None))
    chosen = Context(offered=[], chosen="2026-11-24T14:00:00+00:00")
    assert value_matches("<chosen time>", "2026-11-24T15:00:00+01:00", chosen)
    assert not value_matches("<chosen time>", "2026-11-24T14:00:00+01:00", chosen)
    assert not value_matches("<any>", None, context)
    assert not value_matches("<days>", "42", context)
    assert judge(None, {}) == "pass"
    assert judge({"turn": 4}, {}) == "pass"  # then strict xfail reports the fix
    assert judge({"turn": 4}, {4: ["..."], 9: ["..."]}) == "known failure"
    assert judge({"turn": 4}, {2: ["..."], 4: ["..."]}) != "known failure"
    assert judge({"turn": 4}, {5: ["..."]}) != "known failure"
    assert judge(None, {1: ["..."]}) == "differs"
    stopped = differences([Turn("hi", None), Turn(PICK_FIRST, "choose_slot")], [segment], [context], "none offered")
    assert list(stopped) == [2] and "none offered" in stopped[2][1]
