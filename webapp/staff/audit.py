"""The audit log: who viewed, exported, changed or deleted which conversation."""

from __future__ import annotations

from flask_login import current_user

from assistant.store import audit


def record(action: str, target: str = "", detail: str = "") -> None:
    username = current_user.username if current_user.is_authenticated else "-"
    audit(username, action, target, detail)
