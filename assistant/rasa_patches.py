"""One measured fix to Rasa 3.6 itself, applied when the Rasa server loads our channels.

Rasa checks every action server response against its JSON schema with
``jsonschema.validate``, which first validates the *schema* against the
metaschema and builds a new validator, on every call. Under load that was a
third of the Rasa server's time (py-spy on ``make bench``, docs/deployment.md).
The same check with the validator built once: the same schema, the same
errors, the same message appended for a bad response.
"""

from __future__ import annotations

from functools import lru_cache
from typing import Any

from rasa.core.actions.action import RemoteAction
from rasa.shared.constants import DOCS_BASE_URL


@lru_cache(maxsize=1)
def _response_validator() -> Any:
    from jsonschema.validators import validator_for

    schema = RemoteAction.action_response_format_spec()
    cls = validator_for(schema)
    cls.check_schema(schema)
    return cls(schema)


def _validate_action_result(self: RemoteAction, result: dict[str, Any]) -> bool:
    from jsonschema.exceptions import best_match

    error = best_match(_response_validator().iter_errors(result))
    if error is not None:
        error.message += (
            f". Failed to validate Action server response from API, "
            f"make sure your response from the Action endpoint is valid. "
            f"For more information about the format visit "
            f"{DOCS_BASE_URL}/custom-actions"
        )
        raise error
    return True


def apply() -> None:
    RemoteAction._validate_action_result = _validate_action_result  # type: ignore[method-assign]
