"""A dialogue policy that ends any turn running more actions than a reply needs.

The rules (data/rules/) make every reply end with ``action_listen``. This
policy is the backstop for a state nobody wrote a rule for: after
``max_actions`` actions in one turn it predicts ``action_listen`` with full
confidence and a priority above RulePolicy's. The longest legitimate chain is
three actions (a reply, the form, the summary), and Rasa's circuit breaker,
which would stop the conversation for good, trips at ten.
"""

from __future__ import annotations

from typing import Any

from rasa.core.policies.policy import Policy, PolicyPrediction
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.shared.core.constants import ACTION_LISTEN_NAME
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import ActionExecuted, UserUttered
from rasa.shared.core.generator import TrackerWithCachedStates
from rasa.shared.core.trackers import DialogueStateTracker

# Run by Rasa before any policy is asked; not a reply.
NOT_COUNTED = {ACTION_LISTEN_NAME, "action_extract_slots"}


def actions_this_turn(tracker: DialogueStateTracker) -> int:
    """Actions run since the visitor's latest message."""
    count = 0
    for event in reversed(tracker.events):
        if isinstance(event, UserUttered):
            break
        if isinstance(event, ActionExecuted) and event.action_name not in NOT_COUNTED:
            count += 1
    return count


@DefaultV1Recipe.register(DefaultV1Recipe.ComponentType.POLICY_WITHOUT_END_TO_END_SUPPORT,
                          is_trainable=False)
class TurnLimitPolicy(Policy):
    @staticmethod
    def get_default_config() -> dict[str, Any]:
        return {"priority": 7, "max_actions": 5}

    def train(self, training_trackers: list[TrackerWithCachedStates], domain: Domain,
              **kwargs: Any) -> Resource:
        return self._resource

    def predict_action_probabilities(self, tracker: DialogueStateTracker, domain: Domain,
                                     rule_only_data: dict[str, Any] | None = None,
                                     **kwargs: Any) -> PolicyPrediction:
        probabilities = self._default_predictions(domain)
        if actions_this_turn(tracker) >= self.config["max_actions"]:
            probabilities[domain.index_for_action(ACTION_LISTEN_NAME)] = 1.0
        return self._prediction(probabilities)
