"""Custom Rasa NLU component: triage (rules and the red-flag classifier), last in the pipeline.

It overrides whatever the classifiers predicted when a message shows a
red-flag symptom (intent ``urgent_symptom``) or cannot be answered as text
(intent ``unusable_input``: empty, too long, no words), and declines requests
to diagnose the visitor or read their scans (intent ``out_of_scope``). Running inside the
pipeline means the dialogue policies see the override "before anything else",
and ``make eval`` measures exactly what the server does.
"""

from __future__ import annotations

from typing import Any

from rasa.engine.graph import ExecutionContext, GraphComponent
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.nlu.classifiers.classifier import IntentClassifier
from rasa.shared.nlu.constants import INTENT, INTENT_RANKING_KEY, TEXT
from rasa.shared.nlu.training_data.message import Message

from assistant.red_flag_model import load_model
from assistant.triage import DIAGNOSIS, URGENT, triage

URGENT_INTENT = "urgent_symptom"
UNUSABLE_INTENT = "unusable_input"
OUT_OF_SCOPE_INTENT = "out_of_scope"


@DefaultV1Recipe.register([DefaultV1Recipe.ComponentType.INTENT_CLASSIFIER], is_trainable=False)
class TriageOverride(GraphComponent, IntentClassifier):
    """Route red-flag and unusable messages regardless of the ML prediction."""

    @staticmethod
    def get_default_config() -> dict[str, Any]:
        return {}

    @classmethod
    def create(cls, config: dict[str, Any], model_storage: ModelStorage, resource: Resource,
               execution_context: ExecutionContext) -> TriageOverride:
        load_model()  # train or load the red-flag classifier now, not on the first visitor
        return cls()

    def process(self, messages: list[Message]) -> list[Message]:
        for message in messages:
            result = triage(message.get(TEXT))
            # Every parse carries the triage, so the staff console can show the
            # urgency score of a message that did not raise the alarm.
            message.set("triage", result.as_dict(), add_to_output=True)
            if result.kind is None:
                continue
            name = {URGENT: URGENT_INTENT, DIAGNOSIS: OUT_OF_SCOPE_INTENT}.get(result.kind, UNUSABLE_INTENT)
            override = {"name": name, "confidence": 1.0}
            message.data[INTENT] = override
            ranking = [r for r in message.data.get(INTENT_RANKING_KEY) or [] if r.get("name") != name]
            message.data[INTENT_RANKING_KEY] = [override, *ranking]
        return messages
