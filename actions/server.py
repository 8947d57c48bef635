"""The action server (``python -m actions.server``): rasa-sdk's app, on loopback, behind a shared secret.

Anyone who can reach ``/webhook`` can run any custom action with any slot
values (a forged booking, a staff e-mail). So the server listens on
``ACTION_HOST`` (127.0.0.1 unless the scaled profile puts it elsewhere) and
answers ``/webhook`` and ``/actions`` only to callers that send
``ACTION_SERVER_TOKEN`` in the ``X-Action-Token`` header, as the Rasa server
does (``endpoints.yml``). ``/health`` stays open for load balancers.
"""

from __future__ import annotations

import hmac
import logging
import os
import sys

from rasa_sdk.endpoint import create_app
from sanic import response
from sanic.request import Request

TOKEN_HEADER = "X-Action-Token"
OPEN_PATHS = {"/health"}
log = logging.getLogger(__name__)


def token_from_env() -> str:
    token = os.environ.get("ACTION_SERVER_TOKEN", "")
    if len(token) < 16:
        sys.exit("ACTION_SERVER_TOKEN must be set (16+ characters) and shared with the Rasa server "
                 "(endpoints.yml); `make run` creates one in var/action_server_token.")
    return token


def require_token(token: str):
    async def check(request: Request):
        if request.path in OPEN_PATHS:
            return None
        sent = request.headers.get(TOKEN_HEADER, "")
        if not hmac.compare_digest(sent.encode(), token.encode()):
            log.warning("refused a call to %s without the shared token", request.path)
            return response.json({"error": "unauthorised"}, status=401)
        return None
    return check


def main() -> None:
    logging.basicConfig(level=logging.INFO)
    token = token_from_env()
    app = create_app("actions", cors_origins=[])
    app.register_middleware(require_token(token), "request")
    host = os.environ.get("ACTION_HOST", "127.0.0.1")
    port = int(os.environ.get("ACTION_PORT", "5055"))
    log.info("action server on http://%s:%s (token required)", host, port)
    app.run(host, port, workers=1, access_log=False)


if __name__ == "__main__":
    main()
