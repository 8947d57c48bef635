"""``make import-labels``: staff labels from the console become FAQ phrasings.

Reads ``labelled_examples`` not yet imported, appends each visitor message to
the phrasings of the FAQ staff picked (in ``data/faq/*.yml``, as a text
insertion so comments and formatting stay as they are), skips messages that
are already a phrasing of any FAQ (compared like the validator does), and
marks them imported. Labels saying "new FAQ needed" are listed, not imported.
The diff is printed for review; nothing is committed.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path

from ruamel.yaml import YAML
from sqlalchemy import select

from assistant.faq import FAQ_DIR, load_faqs
from assistant.feedback import unhelpful_unlabelled
from assistant.paths import PROJECT_ROOT
from assistant.store import NEW_FAQ_NEEDED, LabelledExample, session, utcnow
from assistant.text import phrase_key

MAX_PHRASING = 300


@dataclass
class ImportResult:
    added: dict[str, list[str]] = field(default_factory=dict)
    duplicates: list[str] = field(default_factory=list)
    new_faq_needed: list[str] = field(default_factory=list)
    unknown: list[str] = field(default_factory=list)


def _phrasing_end_lines(path: Path) -> dict[str, tuple[int, int]]:
    """For each FAQ id in the file: (line after its last phrasing, indentation of "- ")."""
    data = YAML(typ="rt").load(path.read_text(encoding="utf-8"))
    lines = path.read_text(encoding="utf-8").splitlines()
    ends: dict[str, tuple[int, int]] = {}
    for entry in (data or {}).get("faqs") or []:
        phrasings = entry.get("phrasings")
        if not phrasings:
            continue
        line, _ = phrasings.lc.item(len(phrasings) - 1)
        column = len(lines[line]) - len(lines[line].lstrip())  # where its "- " starts
        end = line + 1
        # a phrasing may continue on following, more indented lines
        while end < len(lines) and lines[end].strip() and len(lines[end]) - len(lines[end].lstrip()) > column:
            end += 1
        ends[str(entry["id"])] = (end, column)
    return ends


def append_phrasings(path: Path, additions: dict[str, list[str]]) -> None:
    lines = path.read_text(encoding="utf-8").splitlines(keepends=True)
    ends = _phrasing_end_lines(path)
    # insert from the bottom up so earlier line numbers stay valid
    for faq_id, (end, column) in sorted(ends.items(), key=lambda item: -item[1][0]):
        new = additions.get(faq_id)
        if new:
            indent = " " * column
            lines[end:end] = [f"{indent}- {json.dumps(text, ensure_ascii=False)}\n" for text in new]
    path.write_text("".join(lines), encoding="utf-8")


def import_labels(url: str | None = None, faq_dir: Path = FAQ_DIR) -> ImportResult:
    result = ImportResult()
    faqs = {faq.id: faq for faq in load_faqs(faq_dir, strict=False)}
    known = {phrase_key(p) for faq in faqs.values() for p in faq.phrasings}
    files: dict[Path, dict[str, list[str]]] = {}
    with session(url) as db:
        labels = db.execute(select(LabelledExample).where(LabelledExample.imported_at.is_(None))
                            .order_by(LabelledExample.id)).scalars().all()
        for label in labels:
            text = " ".join(label.text.split())[:MAX_PHRASING]
            if label.faq_id == NEW_FAQ_NEEDED:
                result.new_faq_needed.append(text)
                continue
            faq = faqs.get(label.faq_id)
            if faq is None:
                result.unknown.append(f"{label.faq_id}: {text}")
                continue
            key = phrase_key(text)
            if not key or key in known:
                result.duplicates.append(text)
            else:
                known.add(key)
                assert faq.source_file is not None  # set for every FAQ read from a file
                files.setdefault(faq.source_file, {}).setdefault(faq.id, []).append(text)
                result.added.setdefault(faq.id, []).append(text)
            label.imported_at = utcnow()
        originals = {path: path.read_text(encoding="utf-8") for path in files}
        try:
            for path, additions in files.items():
                append_phrasings(path, additions)
            load_faqs(faq_dir)  # the result must still validate
        except Exception:
            for path, text in originals.items():  # put the files back; nothing is marked imported
                path.write_text(text, encoding="utf-8")
            raise
    return result


def main(argv: list[str] | None = None) -> int:
    argparse.ArgumentParser(description=__doc__).parse_args(argv)
    result = import_labels()
    added = sum(len(v) for v in result.added.values())
    print(f"imported {added} new phrasings into {len(result.added)} FAQs; "
          f"{len(result.duplicates)} already known")
    for text in result.new_faq_needed:
        print(f"  new FAQ needed: {text!r}")
    for line in result.unknown:
        print(f"  unknown FAQ id (left in the console): {line}")
    waiting = unhelpful_unlabelled()
    if waiting:
        print(f"\n{len(waiting)} answers rated not helpful by visitors, in conversations nobody has "
              "labelled: label their questions in the console (/staff/conversations?flag=unhelpful)")
        for conversation_id, topic in waiting[:10]:
            print(f"  /staff/conversations/{conversation_id}  (answered with {topic})")
    if added:
        print("\nReview the change, then `make retrain` and commit:\n")
        subprocess.run(["git", "--no-pager", "diff", "--", "data/faq"], cwd=PROJECT_ROOT, check=False)
    return 0


if __name__ == "__main__":
    sys.exit(main())
