"""Conversation ids for the web widget: issued by the server, signed, bound to one socket.

A conversation id is also the tracker store's key, so whoever could name one
could read its later replies (a booking summary repeats name, phone, e-mail)
and write into it. The id appears in staff e-mails and console URLs, so it is
not a secret. The widget therefore holds a *resume token*, ``<id>.<signature>``
(HMAC-SHA256 with ``CHAT_SESSION_SECRET``): only the server can make one, and
knowing the id alone is not enough to resume. Each socket is bound to the
conversation it was issued or resumed, and messages go to that conversation
whatever the client writes in them. Every Rasa replica needs the same secret
(``CHAT_SESSION_SECRET``, or the file ``var/chat_session_secret`` made once).
"""

from __future__ import annotations

import hashlib
import hmac
import os
import re
import secrets
import uuid
from functools import lru_cache
from pathlib import Path

from assistant.paths import PROJECT_ROOT

_ID = re.compile(r"[0-9a-f]{32}")
SIGNATURE_LENGTH = 32  # hex characters: 128 bits


@lru_cache(maxsize=1)
def _secret() -> bytes:
    if os.environ.get("CHAT_SESSION_SECRET"):
        return os.environ["CHAT_SESSION_SECRET"].encode()
    path = Path(os.environ.get("CHAT_SESSION_SECRET_FILE", PROJECT_ROOT / "var" / "chat_session_secret"))
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        try:
            descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        except FileExistsError:  # another process made it first
            pass
        else:
            with os.fdopen(descriptor, "w") as handle:
                handle.write(secrets.token_hex(32))
    return path.read_text().strip().encode()


def _signature(conversation_id: str) -> str:
    return hmac.new(_secret(), conversation_id.encode(), hashlib.sha256).hexdigest()[:SIGNATURE_LENGTH]


def issue() -> tuple[str, str]:
    """A new conversation id and the token that resumes it."""
    conversation_id = uuid.uuid4().hex
    return conversation_id, f"{conversation_id}.{_signature(conversation_id)}"


def resume(token: object) -> tuple[str, str] | None:
    """(conversation id, token) if the token is one this server issued, else None."""
    if not isinstance(token, str) or len(token) > 100:
        return None
    conversation_id, _, signature = token.partition(".")
    if not _ID.fullmatch(conversation_id):
        return None
    if not hmac.compare_digest(signature.encode(), _signature(conversation_id).encode()):
        return None
    return conversation_id, token
