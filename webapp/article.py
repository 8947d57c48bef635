"""The article's page text turned into headings, paragraphs and lists.

The knowledge file is the page's raw text, one block per line. Bullets keep
their "•"; short lines without closing punctuation are the page's headings.
Everything stays text: the template escapes it.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from assistant.knowledge import Article

_BULLET = "•"
_CLOSING = (".", ",", ":", ";", "–")


@dataclass
class Block:
    kind: str  # "byline", "h2", "p" or "ul"
    text: str = ""
    items: list[str] = field(default_factory=list)


def _is_heading(line: str) -> bool:
    return len(line) < 90 and len(line.split()) >= 3 and not line.endswith(_CLOSING)


def article_blocks(article: Article) -> list[Block]:
    lines = [line.strip() for line in article.text.splitlines()]
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
    return blocks
