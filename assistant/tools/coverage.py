"""Which passages of the article an answer can give: ``make coverage``.

Every paragraph and list item of the article's body (``assistant.answering.sentences``:
between the byline and the reference list; the page furniture after it, such
as forms, reviews and the office footer, is not medical content, and the
offices' facts are answered from ``data/clinic.yml``) is listed with what
reaches it:

- ``faq``: an FAQ quotes it, or quotes a line next to it, so quote selection
  can lead with it (``assistant.answering.quotes``);
- ``asked``: a development question (``../shared/eval`` and
  ``tests/eval/article``) was answered with a quote from it;
- neither: only a sentence answer can give it (``sentence_answers``), when a
  question's words single it out.

The report ends with the studies (references 1-22) that no FAQ quotes. Only
development sets are read; sealed sets stay unread.
"""

from __future__ import annotations

import argparse
from dataclasses import dataclass

from assistant.answering.quotes import NEIGHBOURHOOD, index_for
from assistant.answering.sentences import body_lines, is_heading
from assistant.faq import faq_index
from assistant.knowledge import get_article
from assistant.served import current_model
from assistant.text import collapse_space
from assistant.tools.evaluate_article import DEV_DIR, SHARED_DEV, load_set, parse_all, sets_in


@dataclass(frozen=True)
class Line:
    number: int
    text: str
    quoted_by: tuple[str, ...]  # FAQ ids whose quotes lie in this line
    near: tuple[str, ...]  # FAQ ids quoting a line within NEIGHBOURHOOD
    asked: int  # development questions answered with a quote from it

    @property
    def status(self) -> str:
        if self.quoted_by:
            return "faq"
        if self.near:
            return "near"
        return "asked" if self.asked else "-"


def faq_lines() -> dict[int, set[str]]:
    """Body line -> the FAQs that quote it."""
    index = index_for(get_article(None))
    found: dict[int, set[str]] = {}
    for faq in faq_index().values():
        for source in faq.sources:
            if source.article not in (None, index.article.slug):
                continue
            for line in index.lines_of(source.quote):
                found.setdefault(line, set()).add(faq.id)
    return found


def asked_lines(model: str) -> dict[int, int]:
    """Body line -> how many development questions were answered with a quote from it."""
    from assistant.answering import reply_for_parse

    paths = [SHARED_DEV] if SHARED_DEV.exists() else []
    paths += list(sets_in(DEV_DIR).values())
    questions = [item["q"] for path in paths for item in load_set(path)["in_scope"]]
    parses = parse_all(model, questions)
    index = index_for(get_article(None))
    counts: dict[int, int] = {}
    for question in questions:
        reply = reply_for_parse(parses[question])
        if reply.kind != "answer":
            continue
        lines = set().union(*(index.lines_of(collapse_space(s.get("quote") or "")) for s in reply.sources))
        for line in lines:
            counts[line] = counts.get(line, 0) + 1
    return counts


def report(model: str | None) -> list[Line]:
    quoted = faq_lines()
    asked = asked_lines(model) if model else {}
    lines = []
    for number, text in enumerate(body_lines(get_article(None))):
        if is_heading(text):
            continue
        near = {faq for line, faqs in quoted.items()
                if 0 < abs(line - number) <= NEIGHBOURHOOD for faq in faqs}
        lines.append(Line(number, text, tuple(sorted(quoted.get(number, ()))), tuple(sorted(near)),
                          asked.get(number, 0)))
    return lines


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--model", help="model archive (default: the served one)")
    parser.add_argument("--all", action="store_true", help="list every line, not only the uncovered")
    args = parser.parse_args(argv)
    model = args.model or str(current_model() or "") or None
    lines = report(model)
    article = get_article(None)
    for line in lines:
        if args.all or line.status in {"-", "asked"}:
            faqs = ",".join(line.quoted_by or line.near)
            print(f"{line.number:4d} {line.status:5s} asked={line.asked:<2d} {faqs[:40]:40s} "
                  f"{line.text[:90]}")
    count = {status: sum(line.status == status for line in lines) for status in ("faq", "near", "asked", "-")}
    print(f"\n{len(lines)} paragraphs and list items: quoted by an FAQ {count['faq']}, "
          f"next to an FAQ's quote {count['near']}, reached only by a development question {count['asked']}, "
          f"reachable only by a sentence answer {count['-']}"
          + ("" if model else " (no model: development questions not run)"))
    cited = {source.ref for faq in faq_index().values() for source in faq.sources if source.ref}
    missing = [ref for ref in sorted(article.references) if ref not in cited]
    print(f"studies no FAQ quotes: {', '.join(map(str, missing)) or 'none'} (of {len(article.references)})")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
