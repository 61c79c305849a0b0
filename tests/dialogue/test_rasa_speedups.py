"""The speedups installed into Rasa keep its behaviour (channels/rasa_speedups.py)."""

from __future__ import annotations

import pytest
from jsonschema import Draft202012Validator, ValidationError, validators
from rasa.core.actions.action import RemoteAction
from rasa.utils.endpoints import EndpointConfig

from channels import rasa_speedups


@pytest.fixture(scope="module")
def action():
    original = RemoteAction._validate_action_result
    rasa_speedups.install()
    yield RemoteAction("qualification_form", EndpointConfig("http://127.0.0.1:1/webhook"))
    RemoteAction._validate_action_result = original


def test_a_valid_action_response_passes(action):
    response = {"events": [{"event": "slot", "name": "need", "value": "forecasting"}], "responses": [{"text": "ok"}]}
    assert action._validate_action_result(response) is True


@pytest.mark.parametrize(
    "response",
    [{"events": "not a list"}, {"events": [{"event": "no_such_event"}]}, {"responses": [1]}],
)
def test_an_invalid_action_response_is_refused_with_rasas_message(action, response):
    with pytest.raises(ValidationError, match="Failed to validate Action server response"):
        action._validate_action_result(response)


def test_the_schema_itself_is_checked_once_not_on_every_action(action, monkeypatch):
    action._validate_action_result({"events": []})  # the first call may build the validator
    checks = []
    schema_class = validators.validator_for(action.action_response_format_spec(), default=Draft202012Validator)
    monkeypatch.setattr(schema_class, "check_schema", classmethod(lambda cls, schema: checks.append(schema)))
    for _ in range(3):
        action._validate_action_result({"events": [], "responses": []})
    assert checks == []
