"""``make validate``: the FAQ source, then Rasa's own check of the training data.

Exits non-zero with one ``file:line: problem`` per line, so editors and CI can
point the developer at the exact entry to fix before any training starts.
Rasa's check (``rasa data validate --fail-on-warnings``) runs on the same
data folders training uses (:mod:`assistant.tools.training`); its output goes
to var/validate.log and is printed only when it fails.
"""

from __future__ import annotations

import subprocess
import sys

from assistant.faq import FaqError, load_faqs
from assistant.paths import PROJECT_ROOT, VAR_DIR
from assistant.tools import training


def check_faq_source() -> bool:
    try:
        faqs = load_faqs()
    except FaqError as exc:
        for error in exc.errors:
            print(error, file=sys.stderr)
        print(f"FAQ validation failed: {len(exc.errors)} problem(s)", file=sys.stderr)
        return False
    phrasings = sum(len(f.phrasings) for f in faqs)
    print(f"FAQ source OK: {len(faqs)} FAQs, {phrasings} phrasings")
    return True


def check_rasa_data() -> bool:
    log = VAR_DIR / "validate.log"
    log.parent.mkdir(parents=True, exist_ok=True)
    command = [training.RASA, "data", "validate", "--domain", training.DOMAIN, "--config", training.CONFIG,
               "--data", *training.DATA, "--fail-on-warnings"]
    with log.open("w") as handle:
        result = subprocess.run(command, cwd=PROJECT_ROOT, stdout=subprocess.DEVNULL, stderr=handle,
                                check=False)
    if result.returncode != 0:
        print(log.read_text(), file=sys.stderr)
        print("rasa data validate failed", file=sys.stderr)
        return False
    print("rasa data validate OK")
    return True


def main() -> int:
    return 0 if check_faq_source() and check_rasa_data() else 1


if __name__ == "__main__":
    sys.exit(main())
