#!/usr/bin/env bash
# Train unless Rasa finds a model trained on the same data and config (it
# fingerprints both), and print how long it took. The full log goes to
# var/train.log; progress bars are kept out of the terminal.
set -euo pipefail
cd "$(dirname "$0")/.."
mkdir -p var
start=$(date +%s)
# Model names carry the hash of the data they were trained on (assistant/retrain.py).
NAME="$(date -u +%Y%m%d-%H%M%S)-$(.venv/bin/python -m assistant.retrain --hash)"
if ! .venv/bin/rasa train --domain domain.yml --config config.yml \
    --data data/nlu data/rules data/generated --out models --fixed-model-name "$NAME" "$@" \
    > var/train.log 2>&1; then
  tail -40 var/train.log
  echo "training failed (full log: var/train.log)"
  exit 1
fi
grep -E "Nothing changed|trained and saved|Your Rasa model" var/train.log | sed 's/\x1b\[[0-9;]*m//g' || true
echo "train finished in $(( $(date +%s) - start ))s"
