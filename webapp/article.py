"""The article's page text turned into headings, paragraphs and lists.

The knowledge file is the page's raw text, one block per line. Bullets keep
their "•"; short lines without closing punctuation are the page's headings.
Everything stays text: the template escapes it.

A source link in the widget opens the page with ``?quote=<passage>``: the
passage is marked wherever it is, even across paragraphs, by matching it as
the bot's quotes are checked (modulo whitespace, assistant/knowledge.py).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from assistant.knowledge import Article
from assistant.text import collapse_space

_BULLET = "•"
_CLOSING = (".", ",", ":", ";", "–")


@dataclass
class Piece:
    text: str
    marked: bool = False
    first: bool = False  # the marked piece the page scrolls to (#passage)


@dataclass
class Block:
    kind: str  # "byline", "h2", "p" or "ul"
    text: str = ""
    items: list[str] = field(default_factory=list)
    # The text (or each item) in pieces, some marked as the quoted passage.
    pieces: list[Piece] = field(default_factory=list)
    item_pieces: list[list[Piece]] = field(default_factory=list)


def _is_heading(line: str) -> bool:
    return len(line) < 90 and len(line.split()) >= 3 and not line.endswith(_CLOSING)


def article_blocks(article: Article, quote: str = "") -> list[Block]:
    lines = [collapse_space(line) for line in article.text.splitlines()]
    lines = [line for line in lines if line]
    blocks: list[Block] = []
    for index, line in enumerate(lines[1:]):  # the first line is the title
        if index < 2 and "," in line and len(line) < 60:  # the authors' byline
            blocks.append(Block("byline", line))
        elif line.startswith(_BULLET):
            item = line.lstrip(_BULLET).strip()
            if blocks and blocks[-1].kind == "ul":
                blocks[-1].items.append(item)
            else:
                blocks.append(Block("ul", items=[item]))
        elif _is_heading(line):
            blocks.append(Block("h2", line))
        else:
            blocks.append(Block("p", line))
    for block in blocks:
        block.pieces = [Piece(block.text)]
        block.item_pieces = [[Piece(item)] for item in block.items]
    if quote:
        mark_passage(blocks, quote)
    return blocks


def mark_passage(blocks: list[Block], quote: str) -> bool:
    """Split the pieces so that the first occurrence of ``quote`` is marked."""
    units: list[list[Piece]] = []
    for block in blocks:
        units += block.item_pieces if block.kind == "ul" else [block.pieces]
    texts = [unit[0].text for unit in units]
    stream = " ".join(texts)
    needle = collapse_space(quote)
    start = stream.find(needle) if needle else -1
    if start < 0:
        return False
    end, offset = start + len(needle), 0
    for unit, text in zip(units, texts, strict=True):
        lo, hi = max(start - offset, 0), min(end - offset, len(text))
        if lo < hi:
            unit[:] = [Piece(part, marked=i == 1, first=i == 1 and offset <= start)
                       for i, part in enumerate((text[:lo], text[lo:hi], text[hi:])) if part or i == 1]
        offset += len(text) + 1
    return True
