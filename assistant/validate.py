"""Command line check of the FAQ source: ``python -m assistant.validate``.

Exits non-zero with one ``file:line: problem`` per line, so editors and CI can
point the developer at the exact entry to fix before any training starts.
"""

from __future__ import annotations

import sys

from assistant.faq import FaqError, load_faqs


def main() -> int:
    try:
        faqs = load_faqs()
    except FaqError as exc:
        for error in exc.errors:
            print(error, file=sys.stderr)
        print(f"FAQ validation failed: {len(exc.errors)} problem(s)", file=sys.stderr)
        return 1
    phrasings = sum(len(f.phrasings) for f in faqs)
    print(f"FAQ source OK: {len(faqs)} FAQs, {phrasings} phrasings")
    return 0


if __name__ == "__main__":
    sys.exit(main())
