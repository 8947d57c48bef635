"""The clinic's published article(s): the only source of medical content.

Every quote the bot shows must be a verbatim passage of a knowledge text, and
every citation comes from the article's own numbered reference list, so both
are looked up here rather than typed into the FAQ files a second time.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from assistant.paths import DATA_DIR
from assistant.text import collapse_space

KNOWLEDGE_DIR = DATA_DIR / "knowledge"
# The clinic's article: the default source of quotes, citations and the web page.
MAIN_ARTICLE = "sacroiliac-joint-dysfunction-treatment-options"

# A reference line looks like "17 Hoffman MD, Agnish V. Functional outcome ...".
_REFERENCE_LINE = re.compile(r"^(\d{1,3})\s+(\S.*)$")
_TRAILING_LINK = re.compile(r"\s*\[Google Scholar\]\s*$")


@dataclass(frozen=True)
class Article:
    """One knowledge text and the numbered references it cites."""

    slug: str
    title: str
    text: str
    references: dict[int, str]

    @property
    def normalised(self) -> str:
        return collapse_space(self.text)

    def contains(self, quote: str) -> bool:
        needle = collapse_space(quote)
        return bool(needle) and needle in self.normalised


def parse_references(text: str) -> dict[int, str]:
    """Read the numbered reference list ("1 Author. Title. Journal. Year.").

    The list is the longest run of consecutive lines numbered 1, 2, 3, ...;
    requiring the run keeps lines that merely start with a number elsewhere
    (e.g. "124 patients" or a street address) out of it.
    """
    lines = [line.strip() for line in text.splitlines() if line.strip()]
    best: dict[int, str] = {}
    for start, line in enumerate(lines):
        match = _REFERENCE_LINE.match(line)
        if not match or match.group(1) != "1":
            continue
        run: dict[int, str] = {}
        for candidate in lines[start:]:
            match = _REFERENCE_LINE.match(candidate)
            if not match or int(match.group(1)) != len(run) + 1:
                break
            run[len(run) + 1] = _TRAILING_LINK.sub("", match.group(2)).strip()
        if len(run) > len(best):
            best = run
    return best


def _load(path: Path) -> Article:
    text = path.read_text(encoding="utf-8")
    title = next((line.strip() for line in text.splitlines() if line.strip()), path.stem)
    return Article(slug=path.stem, title=title, text=text, references=parse_references(text))


@cache
def load_articles(directory: Path = KNOWLEDGE_DIR) -> tuple[Article, ...]:
    """All ``*.txt`` knowledge texts, the clinic's main article first."""
    paths = sorted(directory.glob("*.txt"), key=lambda p: (p.stem != MAIN_ARTICLE, p.name))
    return tuple(_load(p) for p in paths)


def get_article(slug: str | None = None, directory: Path = KNOWLEDGE_DIR) -> Article:
    """The article with this slug, or the first one when no slug is given."""
    articles = load_articles(directory)
    if not articles:
        raise FileNotFoundError(f"no knowledge texts in {directory}")
    if slug is None:
        return articles[0]
    for article in articles:
        if article.slug == slug:
            return article
    raise KeyError(f"unknown article {slug!r}; have {[a.slug for a in articles]}")
