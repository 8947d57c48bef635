"""The audit log: who viewed, exported, changed or deleted which conversation."""

from __future__ import annotations

from flask_login import current_user

from assistant.store import AuditEntry
from assistant.store import session as db_session


def record(action: str, target: str = "", detail: str = "") -> None:
    username = current_user.username if current_user.is_authenticated else "-"
    with db_session() as db:
        db.add(AuditEntry(username=username, action=action, target=target[:255], detail=detail[:2000]))
