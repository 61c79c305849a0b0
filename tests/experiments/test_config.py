"""config/experiments.yml is validated on load: a broken file names the file, the key and the problem."""

from __future__ import annotations

import shutil

import pytest
import yaml

from appconfig.settings import PROJECT_ROOT
from appconfig.yamlfile import ConfigError
from experiments import load_experiments
from launcher.checks import check_configs

from .conftest import write_config

GOOD_VARIANTS = """
      - {name: a}
      - {name: b, opening: utter_greet_direct}
"""


@pytest.mark.parametrize(
    ("text", "key", "problem"),
    [
        (
            "experiments:\n  t:\n    enabled: true\n    variants:\n      - {name: a, question_order: [need, shoe_size]}\n",
            "experiments.t.variants[0].question_order[1]",
            "unknown form slot 'shoe_size' (expected one of: need, timeline, authority, budget, company, company_size, person_name, email)",
        ),
        (
            "experiments:\n  t:\n    variants:\n      - {name: a, question_order: [budget, need], ask_budget: false}\n",
            "experiments.t.variants[0].question_order",
            "lists budget, which ask_budget: false leaves out",
        ),
        (
            "experiments:\n  t:\n    variants:\n      - {name: a, question_order: [need, need]}\n",
            "experiments.t.variants[0].question_order",
            "lists need more than once",
        ),
        (
            "experiments:\n  t:\n    variants:\n      - {name: a}\n      - {name: a, offered_times: 5}\n",
            "experiments.t.variants[1].name",
            "variant 'a' is defined twice",
        ),
        (
            "experiments:\n  t:\n    variants:\n      - {name: a, weight: 0}\n      - {name: b, weight: 0}\n",
            "experiments.t.variants",
            "the weights add up to 0: give at least one variant a weight above 0",
        ),
        (
            "experiments:\n  t:\n    variants:\n      - {name: a, weight: -1}\n",
            "experiments.t.variants[0].weight",
            "must be at least 0, got -1",
        ),
        (
            "experiments:\n  t:\n    variants:\n      - {name: a, offered_times: 0}\n",
            "experiments.t.variants[0].offered_times",
            "must be at least 1, got 0",
        ),
        (
            "experiments:\n  t:\n    variants:\n      - {name: a, opening: Hello there}\n",
            "experiments.t.variants[0].opening",
            "must name a response of domain.yml (utter_...), got 'Hello there'",
        ),
        (
            "experiments:\n  t:\n    variants:\n      - {name: a, ask_budget: 'no'}\n",
            "experiments.t.variants[0].ask_budget",
            "must be true or false, got text 'no'",
        ),
        (
            "experiments:\n  t:\n    variants:\n      - {name: a, colour: red}\n",
            "experiments.t.variants[0].colour",
            "unknown key (expected one of: ask_budget, name, offered_times, opening, question_order, weight)",
        ),
        (
            "experiments:\n  t:\n    enabled: true\n    variants: []\n",
            "experiments.t.variants",
            "must list at least one variant",
        ),
        (
            "experiments:\n  t:\n    goal: clicks\n    variants:\n      - {name: a}\n",
            "experiments.t.goal",
            "unknown goal 'clicks' (expected one of: booked, sql)",
        ),
        ("decision:\n  significance: 0.9\n", "decision.significance", "must be at most 0.2, got 0.9"),
        ("decision:\n  min_visitors: 0\n", "decision.min_visitors", "must be at least 1, got 0"),
        (
            "experiments:\n  Big Test:\n    variants:\n      - {name: a}\n",
            "experiments.Big Test",
            "an experiment's name must be lower-case letters, digits, _ or - (at most 64), got 'Big Test'",
        ),
        (
            "experiments:\n  one:\n    enabled: true\n    variants:"
            + GOOD_VARIANTS
            + "  two:\n    enabled: true\n    variants:"
            + GOOD_VARIANTS,
            "experiments.two.variants",
            "changes opening, which enabled experiment 'one' already tests",
        ),
    ],
)
def test_a_broken_file_names_the_file_the_key_and_the_problem(tmp_path, text, key, problem):
    path = write_config(tmp_path, text)
    with pytest.raises(ConfigError) as raised:
        load_experiments(path)
    assert (raised.value.path, raised.value.key, raised.value.problem) == (str(path), key, problem)


def test_two_experiments_on_the_same_thing_are_fine_while_one_is_disabled(tmp_path):
    text = (
        "experiments:\n  one:\n    enabled: true\n    variants:"
        + GOOD_VARIANTS
        + "  two:\n    enabled: false\n    variants:"
        + GOOD_VARIANTS
    )
    config = load_experiments(write_config(tmp_path, text))
    assert list(config.enabled()) == ["one"]


def test_the_shipped_file_changes_nothing_and_names_real_responses():
    config = load_experiments(PROJECT_ROOT / "config" / "experiments.yml")
    assert config.experiments and config.enabled() == {}  # the product behaves as before until an operator opts in
    responses = yaml.safe_load((PROJECT_ROOT / "domain.yml").read_text(encoding="utf-8"))["responses"]
    openings = {v.opening for e in config.experiments.values() for v in e.variants if v.opening}
    assert openings and openings <= set(responses)


def test_an_opening_missing_from_the_domain_is_refused_at_start(tmp_path):
    path = write_config(tmp_path, "experiments:\n  t:\n    variants:" + GOOD_VARIANTS)
    with pytest.raises(ConfigError) as raised:
        load_experiments(path, responses={"utter_greet"})
    assert (raised.value.key, raised.value.problem) == (
        "experiments.t.variants[1].opening",
        "no response 'utter_greet_direct' in domain.yml",
    )
    assert load_experiments(path, responses={"utter_greet", "utter_greet_direct"}).experiments["t"]
    # What `make start` and `make check` run: the shipped file against the shipped domain.
    assert check_configs(PROJECT_ROOT / "config") == []
    (tmp_path / "experiments.yml").write_text(
        "experiments:\n  t:\n    variants:\n      - {name: a, opening: utter_greet_drect}\n", encoding="utf-8"
    )
    shutil.copytree(PROJECT_ROOT / "config", tmp_path / "config")
    shutil.copy(tmp_path / "experiments.yml", tmp_path / "config" / "experiments.yml")
    assert check_configs(tmp_path / "config") == [
        f"{tmp_path / 'config' / 'experiments.yml'}: experiments.t.variants[0].opening: "
        "no response 'utter_greet_drect' in domain.yml"
    ]
