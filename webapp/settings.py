"""Web app settings from environment variables, with safe local defaults."""

from __future__ import annotations

import os
from dataclasses import dataclass


@dataclass(frozen=True)
class Settings:
    host: str
    port: int
    # Where browsers reach Rasa's socket.io channel. Empty: the page's own
    # host name on port ``rasa_port`` (right for `make run` on one machine,
    # whether it is opened as localhost, 127.0.0.1 or a LAN address).
    rasa_public_url: str
    rasa_port: int

    @classmethod
    def from_env(cls) -> Settings:
        return cls(
            host=os.environ.get("WEB_HOST", "127.0.0.1"),
            port=int(os.environ.get("WEB_PORT", "8000")),
            rasa_public_url=os.environ.get("RASA_PUBLIC_URL", "").rstrip("/"),
            rasa_port=int(os.environ.get("RASA_PORT", "5005")),
        )
