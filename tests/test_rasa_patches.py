"""The cached action-response check behaves exactly like Rasa's own."""

from __future__ import annotations

import pytest
from jsonschema import ValidationError
from rasa.core.actions.action import RemoteAction

from assistant import rasa_patches

ORIGINAL = RemoteAction._validate_action_result

RESPONSES = [
    {"events": [], "responses": []},
    {"events": [{"event": "slot", "name": "topic", "value": "x"}],
     "responses": [{"text": "hi", "buttons": [], "custom": {"kind": "answer"}}]},
    {"events": "not a list", "responses": []},
    {"events": [{"no_event_key": 1}], "responses": []},
    {"events": [], "responses": "nope"},
]


def outcome(validate, response):
    action = RemoteAction("action_answer_faq", None)
    try:
        return validate(action, response), None
    except ValidationError as error:
        return None, error.message


@pytest.mark.parametrize("response", RESPONSES)
def test_same_verdict_and_message_as_rasa(response):
    assert outcome(rasa_patches._validate_action_result, response) == outcome(ORIGINAL, response)


def test_an_invalid_response_is_still_refused():
    with pytest.raises(ValidationError, match="Failed to validate Action server response"):
        rasa_patches._validate_action_result(RemoteAction("a", None), {"events": "not a list"})


def test_apply_replaces_the_check(monkeypatch):
    monkeypatch.setattr(RemoteAction, "_validate_action_result", ORIGINAL)
    rasa_patches.apply()
    assert RemoteAction._validate_action_result is rasa_patches._validate_action_result
