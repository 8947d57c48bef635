#!/usr/bin/env bash
# Train unless the served model was trained on the same data and config, and
# print how long it took. The full log goes to
# var/train.log; progress bars are kept out of the terminal.
set -euo pipefail
cd "$(dirname "$0")/.."
mkdir -p var
start=$(date +%s)
# Model names carry the hash of the data they were trained on (assistant/retrain.py);
# when the served (newest) model has this hash there is nothing to do.
HASH="$(.venv/bin/python -m assistant.retrain --hash)"
NAME="$(date -u +%Y%m%d-%H%M%S)-$HASH"
LATEST="$(ls -tc models/*.tar.gz 2>/dev/null | head -1 || true)"
if [ -n "$LATEST" ] && [[ "$LATEST" == *"-$HASH.tar.gz" ]] && [ "${1:-}" != "--force" ]; then
  echo "Nothing changed: $LATEST was trained on this data."
  exit 0
fi
# Trained under var/training and moved into models/ when complete, so the
# model server (assistant/model_server.py) never hands out a half-written archive.
mkdir -p var/training
if ! .venv/bin/rasa train --domain domain.yml --config config.yml \
    --data data/nlu data/rules data/generated --out var/training --fixed-model-name "$NAME" "$@" \
    > var/train.log 2>&1; then
  tail -40 var/train.log
  echo "training failed (full log: var/train.log)"
  exit 1
fi
if [ -f "var/training/$NAME.tar.gz" ]; then mv "var/training/$NAME.tar.gz" models/; fi
grep -E "Nothing changed|trained and saved|Your Rasa model" var/train.log | sed 's/\x1b\[[0-9;]*m//g' || true
echo "train finished in $(( $(date +%s) - start ))s"
