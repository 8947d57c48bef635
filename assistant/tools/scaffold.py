"""``make faq-new ID=... [GROUP=...]``: append a commented FAQ template.

The template is deliberately invalid until it is filled in (the quote is not
in the article and there are too few phrasings), so `make retrain` cannot
train on a half-written FAQ; its errors name the file and line.
"""

from __future__ import annotations

import argparse
import re
import sys
from pathlib import Path

from assistant.faq import FAQ_DIR, load_faqs

_ID = re.compile(r"^[a-z][a-z0-9_]{2,60}$")
_GROUP = re.compile(r"^[a-z][a-z0-9_-]{0,40}$")

TEMPLATE = """\
  # New FAQ: fill in every field, then run `make retrain`.
  - id: {id}
    # Short label for buttons (at most 48 characters).
    title: TODO short title
    # A faithful paraphrase of the article, in plain words. No claims the
    # article does not make. {{offices}}, {{phones}} and {{fax}} are filled in from
    # data/clinic.yml.
    answer: >-
      TODO answer
    # Verbatim passages from data/knowledge/*.txt (whitespace may differ) and
    # the article's reference number for each (null if the passage cites none).
    # For a passage from another knowledge file, add `article: <file name without .txt>`.
    sources:
      - quote: "TODO copy a sentence from the article here"
        ref: null
    # true: the answer offers the "Book a consultation" button.
    book: false
    # At least 12 ways a visitor might ask, none used by another FAQ.
    phrasings:
      - "TODO first way to ask"
"""


def scaffold(faq_id: str, group: str = "new", faq_dir: Path = FAQ_DIR) -> Path:
    if not _ID.match(faq_id):
        raise ValueError(f"invalid id {faq_id!r}: lower-case letters, digits and _, 3-61 characters")
    if not _GROUP.match(group):
        raise ValueError(f"invalid group {group!r}")
    existing = {faq.id for faq in load_faqs(faq_dir, strict=False)}
    if faq_id in existing:
        raise ValueError(f"an FAQ with id {faq_id!r} already exists")
    path = faq_dir / f"{group}.yml"
    text = path.read_text(encoding="utf-8") if path.exists() else "faqs:\n"
    if not text.endswith("\n"):
        text += "\n"
    path.write_text(text + TEMPLATE.format(id=faq_id), encoding="utf-8")
    return path


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("id")
    parser.add_argument("--group", default="new", help="file data/faq/<group>.yml (default: new)")
    args = parser.parse_args(argv)
    try:
        path = scaffold(args.id, args.group)
    except ValueError as error:
        print(error, file=sys.stderr)
        return 2
    print(f"added a template for {args.id!r} to {path.relative_to(FAQ_DIR.parent.parent)}; "
          "fill it in, then run `make retrain`")
    return 0


if __name__ == "__main__":
    sys.exit(main())
