"""``make bench-retrain``: how long `make retrain` takes for two kinds of change.

On a throw-away copy of the project (the working tree and its models are not
touched), starting from the newest model in models/:

1. three new phrasings for an existing FAQ (what `make import-labels` does):
   the served model is fine-tuned;
2. a new FAQ citing a new knowledge text: it goes live from the retrieval
   index first (seconds after the command starts), then the candidate is
   trained from scratch (a new label cannot be fine-tuned).

Prints the training time, how it was trained, the in-scope score and whether
the candidate was promoted; for the new FAQ also when it went live, from the
start of `make retrain`'s evaluation step (validation and data generation,
a few seconds, are timed apart). Run it on an idle machine: it measures seconds.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from assistant.faq import load_faqs
from assistant.paths import PROJECT_ROOT
from assistant.served import current_model
from assistant.tools.import_labels import append_phrasings

COPIED = ["actions", "assistant", "data", "migrations", "scripts", "tests/eval", "Makefile", "alembic.ini",
          "config.yml", "domain.yml", "endpoints.yml", "credentials.yml", "requirements.lock",
          "package.json", "package-lock.json"]
# The environment and Rasa's training cache are shared; node_modules is not
# (npm ci in the copy would empty it).
LINKED = [".venv", ".rasa", "node_modules"]
NEW_PHRASINGS = ["is prp made from my own blood", "prp injection what is it exactly",
                 "platelet rich plasma explained simply"]
NOTICE = PROJECT_ROOT / "tests" / "fixtures" / "knowledge" / "retraining-test-notice.txt"
# A new FAQ citing that notice (used here and by tests/e2e/test_retrain.py).
NEW_FAQ = PROJECT_ROOT / "tests" / "fixtures" / "faq" / "visiting.yml"


def copy_project(target: Path, link_node_modules: bool = False) -> Path:
    """A copy that trains and serves on its own, sharing the environment and cache."""
    for name in COPIED:
        source = PROJECT_ROOT / name
        if source.is_dir():
            shutil.copytree(source, target / name, ignore=shutil.ignore_patterns("__pycache__", "generated"))
        else:
            (target / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, target / name)
    for name in LINKED:
        if name == "node_modules" and not link_node_modules:
            continue
        if (PROJECT_ROOT / name).exists():
            (target / name).symlink_to(PROJECT_ROOT / name)
    (target / "var").mkdir()
    (target / "var" / "spacy").symlink_to(PROJECT_ROOT / "var" / "spacy")
    # The side classifiers' cache is keyed by their data's content: the copy finds them built
    # (the red-flag one takes minutes to train) until its own data changes.
    (PROJECT_ROOT / "var" / "cache").mkdir(parents=True, exist_ok=True)
    (target / "var" / "cache").symlink_to(PROJECT_ROOT / "var" / "cache")
    (target / "models").mkdir()
    served = current_model()
    if served is not None:
        shutil.copy2(served, target / "models" / served.name)
    return target


LIVE_LINE = "live from the retrieval index after"


def retrain(root: Path) -> str:
    """Run the retrain steps; the output gains a line with the wall-clock second the FAQ went live."""
    env = {**os.environ, "PYTHONPATH": str(root)}
    steps = [[sys.executable, "-m", "assistant.tools.build"], [sys.executable, "-m", "assistant.tools.validate"],
             [sys.executable, "-m", "assistant.tools.retrain"]]
    started = time.monotonic()
    output = ""
    live_at = None
    for step in steps:
        with subprocess.Popen(step, cwd=root, env=env, text=True, stdout=subprocess.PIPE,
                              stderr=subprocess.STDOUT) as proc:
            assert proc.stdout is not None
            for line in proc.stdout:
                output += line
                if LIVE_LINE in line and live_at is None:
                    live_at = time.monotonic() - started
    if live_at is not None:
        output += f"\nwall clock from the start of validation to live: {live_at:.0f} s\n"
    return output


def summary(label: str, output: str) -> str:
    took = re.search(r"training took (\d+) s \(([^)]+)\)", output)
    score = re.search(r"in_scope: ([\d.]+%)", output)
    live = re.search(r"wall clock from the start of validation to live: (\d+) s", output)
    promoted = "promoted" if "\npromoted:" in output else "NOT promoted"
    if not took:
        return f"{label}: failed\n{output[-2000:]}"
    in_scope = score.group(1) if score else "?"
    first = f"live from the index after {live.group(1)} s, then " if live else ""
    return f"{label}: {first}{took.group(1)} s ({took.group(2)}), in-scope {in_scope}, {promoted}"


def main() -> int:
    with tempfile.TemporaryDirectory() as tmp:
        root = copy_project(Path(tmp) / "phrasings", link_node_modules=True)
        faqs = load_faqs(root / "data" / "faq", root / "data" / "knowledge")
        prp = next(f for f in faqs if f.id == "prp_what")
        append_phrasings(prp.source_file, {"prp_what": NEW_PHRASINGS})
        print(summary("3 new phrasings for an existing FAQ", retrain(root)), flush=True)

        root = copy_project(Path(tmp) / "new-faq", link_node_modules=True)
        shutil.copy(NOTICE, root / "data" / "knowledge" / NOTICE.name)
        shutil.copy(NEW_FAQ, root / "data" / "faq" / NEW_FAQ.name)
        print(summary("1 new FAQ", retrain(root)), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
