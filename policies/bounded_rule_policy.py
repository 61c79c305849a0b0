"""Rasa's RulePolicy, featurising only the latest states of a conversation instead of all of them.

RulePolicy turns the whole history into states (one per action, `tracker.past_states`) at every
prediction, twice (text, then intent), several predictions per message: the cost of a message grows
with the conversation (py-spy put 43% of Rasa's busy time at turns 40-80 there). Yet a prediction
only ever reads the latest states:

- a rule (or loop-unhappy-path key) of n states is checked against the conversation's n latest
  states; once `_get_possible_keys` walks back past a rule's length the rule is applicable
  (`_is_rule_applicable`), so states further back never change which rules match. A rule that
  begins at the conversation start (`conversation_start: true`) has a first state without a
  previous action; a conversation's state has none only at its very start, so within the states
  kept it matches exactly as in the whole history, and beyond them it cannot match at all;
- `condition`, slots and the active loop sit in each state itself (the tracker is replayed event by
  event, from the first, so every state kept is the one Rasa would compute);
- with no rule matching, the prediction's source is the key of all states, used only to ask
  whether it is a rule absent from the stories (`hide_rule_turn`): keeping one state more than
  the longest such rule, neither that key nor the shorter one here can be one.

So keeping as many states as the longest key of the trained lookup (computed from it, not
configured: a longer rule added to data/rules.yml raises it) gives the same predictions. Training
is Rasa's own, on whole histories. tests/dialogue/test_bounded_rule_policy.py compares the two
policies' predictions over long simulated conversations; test_bounded_rule_policy_rules.py checks
`conversation_start`, `condition`, a longer rule and `wait_for_user_input: false` late in one.

Which events apply (`tracker.applied_events`: reverted turns and repeated loop runs dropped) still
needs every event; Rasa works it out from the first event at every call, a message asking several
times of the same, growing tracker. Here it is carried on from the previous call's answer over the
events appended since (the same steps as Rasa's, in the same order), and worked out afresh when the
tracker's events were replaced or a new loop name appeared (Rasa reads loop names from all events).
"""

from __future__ import annotations

import copy
import itertools
import json
import operator
import warnings
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any, cast

from rasa.core.policies.rule_policy import RULES, RULES_FOR_LOOP_UNHAPPY_PATH, RULES_NOT_IN_STORIES, RulePolicy
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.shared.core.domain import Domain, State
from rasa.shared.core.events import (
    ActionExecuted,
    ActionReverted,
    ActiveLoop,
    Event,
    Restarted,
    SessionStarted,
    UserUtteranceReverted,
    UserUttered,
)
from rasa.shared.core.generator import TrackerWithCachedStates
from rasa.shared.core.trackers import DialogueStateTracker

# Rasa's recipe validator looks for RulePolicy itself (`node.uses == RulePolicy`) and, not finding it,
# warns at every training that /restart and /back will not work; as a subclass this policy runs them.
warnings.filterwarnings("ignore", message="'RulePolicy' is not included in the model's policy", category=UserWarning)

_APPLIED = "_bounded_rule_policy_applied"  # the attributes a tracker keeps its _Applied
_REPLAYED = "_bounded_rule_policy_replayed"  # and its _Replayed in


@dataclass(frozen=True)
class _Applied:
    events: Any  # the tracker's event deque the answer was read from
    seen: int  # how many of its events
    last: Event | None  # the last of them
    loop_names: frozenset[str]
    applied: list[Event]


@dataclass(frozen=True)
class _Replayed:
    events: list[Event]  # the applied events replayed into `tracker`, from the first
    tracker: DialogueStateTracker


def _loop_names(events: Any) -> set[str]:
    return {event.name for event in events if isinstance(event, ActiveLoop) and event.name}


def applied_events(tracker: DialogueStateTracker) -> list[Event]:
    """`tracker.applied_events()`, carried on from this tracker's previous answer when its events
    were only appended to since. The list returned must not be changed."""
    events = tracker.events
    known: _Applied | None = tracker.__dict__.get(_APPLIED)
    if (
        known is None
        or known.events is not events
        or known.seen > len(events)
        or (known.seen and events[known.seen - 1] is not known.last)
    ):
        applied, loop_names = tracker.applied_events(), frozenset(_loop_names(events))
    else:
        new = list(itertools.islice(events, known.seen, None))
        if not _loop_names(new) <= known.loop_names:
            applied, loop_names = tracker.applied_events(), frozenset(_loop_names(events))
        else:
            applied, loop_names = list(known.applied), known.loop_names
            for event in new:  # the body of Rasa's DialogueStateTracker.applied_events, in order
                if isinstance(event, (Restarted, SessionStarted)):
                    applied = []
                elif isinstance(event, ActionReverted):
                    tracker._undo_till_previous(ActionExecuted, applied)
                elif isinstance(event, UserUtteranceReverted):
                    tracker._undo_till_previous(UserUttered, applied)
                    tracker._undo_till_previous(ActionExecuted, applied)
                elif (
                    isinstance(event, ActionExecuted)
                    and event.action_name in loop_names
                    and not tracker._first_loop_execution_or_unhappy_path(event.action_name, applied)
                ):
                    tracker._undo_till_previous_loop_execution(event.action_name, applied)
                else:
                    applied.append(event)
    tracker.__dict__[_APPLIED] = _Applied(events, len(events), events[-1] if events else None, loop_names, applied)
    return applied


def states_needed(lookup: dict[str, Any]) -> int:
    """How many of a conversation's latest states decide every prediction made with `lookup`."""
    longest = 1
    for table in (RULES, RULES_FOR_LOOP_UNHAPPY_PATH):
        for key in lookup.get(table, {}):
            longest = max(longest, len(json.loads(key)))
    for key in lookup.get(RULES_NOT_IN_STORIES, []):
        if key.startswith("["):  # the others name default actions and loops, not states
            longest = max(longest, len(json.loads(key)) + 1)
    return longest


class LatestStates:
    """A tracker as the featurizer sees it, with only its latest `keep` states.

    Rasa's `generate_all_prior_trackers` yields the tracker before each applied action and once at
    the end; here every applied event is still replayed in order (carried on from the previous
    call's replay while the events before the latest states stay the same), but the tracker is
    yielded (and so turned into a state) only for the last `keep` of those points."""

    def __init__(self, tracker: DialogueStateTracker, keep: int) -> None:
        self._tracker = tracker
        self._keep = keep

    def past_states(
        self,
        domain: Domain,
        omit_unset_slots: bool = False,
        ignore_rule_only_turns: bool = False,
        rule_only_data: dict[str, Any] | None = None,
    ) -> list[State]:
        if ignore_rule_only_turns:  # hidden turns depend on earlier ones: not bounded (RulePolicy never asks)
            return self._tracker.past_states(domain, omit_unset_slots, ignore_rule_only_turns, rule_only_data)
        return domain.states_for_tracker_history(
            cast(DialogueStateTracker, self), omit_unset_slots=omit_unset_slots, rule_only_data=rule_only_data
        )

    def generate_all_prior_trackers(self) -> Iterator[tuple[DialogueStateTracker, bool]]:
        applied = applied_events(self._tracker)
        # Rasa yields before each applied action and once at the end: the last `keep` yields begin
        # at the (keep - 1)-th action from the end.
        first, actions_after = len(applied), 0
        while actions_after < self._keep - 1 and first > 0:
            first -= 1
            if isinstance(applied[first], ActionExecuted):
                actions_after += 1
        if actions_after < self._keep - 1:
            first = 0
        prior = _clone(_replayed_up_to(self._tracker, applied, first))
        for event in applied[first:]:
            if isinstance(event, ActionExecuted):
                yield prior, event.hide_rule_turn
            prior.update(event)
        yield prior, False


def _replayed_up_to(tracker: DialogueStateTracker, applied: list[Event], first: int) -> DialogueStateTracker:
    """A tracker with `applied[:first]` replayed, carried on from this tracker's previous one when
    that one's events are still the first of them. Not to be changed: `_clone` it."""
    known: _Replayed | None = tracker.__dict__.get(_REPLAYED)
    if known is not None and len(known.events) <= first and all(map(operator.is_, known.events, applied)):
        replayed, start = known.tracker, len(known.events)
    else:
        replayed, start = tracker.init_copy(), 0
    for event in applied[start:first]:
        replayed.update(event)
    tracker.__dict__[_REPLAYED] = _Replayed(applied[:first], replayed)
    return replayed


def _clone(tracker: DialogueStateTracker) -> DialogueStateTracker:
    """The same state, in objects of its own: what the replay changes in place (slots, the active
    loop) is copied; the events are not needed for a state."""
    clone = copy.copy(tracker)
    clone.slots = type(tracker.slots)((name, copy.copy(slot)) for name, slot in tracker.slots.items())
    clone.active_loop = copy.copy(tracker.active_loop)
    clone.events = tracker._create_events([])
    return clone


@DefaultV1Recipe.register(DefaultV1Recipe.ComponentType.POLICY_WITHOUT_END_TO_END_SUPPORT, is_trainable=True)
class BoundedRulePolicy(RulePolicy):
    """RulePolicy whose predictions featurise only the states its rules can reach."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._whole_history = False
        self._keep: int | None = None

    def train(self, training_trackers: list[TrackerWithCachedStates], domain: Domain, **kwargs: Any) -> Resource:
        # Rasa's contradiction checks run predictions while the lookup is being built: whole histories.
        self._whole_history, self._keep = True, None
        try:
            return super().train(training_trackers, domain, **kwargs)
        finally:
            self._whole_history = False

    def states_kept(self) -> int:
        if self._keep is None:
            self._keep = states_needed(self.lookup)
        return self._keep

    def _prediction_states(
        self,
        tracker: DialogueStateTracker,
        domain: Domain,
        use_text_for_last_user_input: bool = False,
        rule_only_data: dict[str, Any] | None = None,
    ) -> list[State]:
        if not self._whole_history:
            tracker = cast(DialogueStateTracker, LatestStates(tracker, self.states_kept()))
        return super()._prediction_states(tracker, domain, use_text_for_last_user_input, rule_only_data)
