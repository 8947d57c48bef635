#!/usr/bin/env bash
# Start the model server, the action server, the web app and the Rasa server
# under supervisord (scripts/supervisord.conf), which starts a process again
# when it exits. Ctrl-C stops them all.
set -euo pipefail
cd "$(dirname "$0")/.."
mkdir -p var
RASA_PORT=${RASA_PORT:-5005}
ACTION_PORT=${ACTION_PORT:-5055}
export RASA_PORT WEB_PORT=${WEB_PORT:-8000}
export PYTHONPATH="$PWD${PYTHONPATH:+:$PYTHONPATH}"

# The project's tables: migrate, insert queued bookings, retry staff e-mails.
.venv/bin/python -m assistant.maintenance

# The action server listens on loopback and answers only the Rasa server,
# which sends this shared secret (endpoints.yml, actions/server.py).
if [ -z "${ACTION_SERVER_TOKEN:-}" ]; then
  if [ ! -s var/action_server_token ]; then
    (umask 077 && .venv/bin/python -c 'import secrets; print(secrets.token_urlsafe(32))' > var/action_server_token)
  fi
  ACTION_SERVER_TOKEN=$(cat var/action_server_token)
fi
export ACTION_SERVER_TOKEN ACTION_PORT ACTION_HOST=${ACTION_HOST:-127.0.0.1}

# Port 5056 is the one endpoints.yml's `models:` URL names.
export MODEL_SERVER_PORT=${MODEL_SERVER_PORT:-5056} RASA_CORS=${RASA_CORS:-*}

cat <<MSG
Starting the bot: REST and socket.io on http://localhost:$RASA_PORT, actions on :$ACTION_PORT.
When "Rasa server is up and running" appears, open http://localhost:$WEB_PORT/ and
click "Questions? Chat with us" in the corner. Staff console: http://localhost:$WEB_PORT/staff
(first account: make staff-user NAME=<you> ROLE=admin). Or try:
  curl -s localhost:$RASA_PORT/webhooks/rest/webhook -H 'Content-Type: application/json' \\
       -d '{"sender": "me", "message": "is fusion my only option?"}'
A process that exits is started again (scripts/supervisord.conf); Ctrl-C stops them all.
MSG
# The model server, the action server, the web app and the Rasa server (which
# pulls the newest model from the model server, endpoints.yml), under supervisord.
exec .venv/bin/supervisord -c scripts/supervisord.conf
