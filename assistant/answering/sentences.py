"""The article as sentences: the units a quote is chosen from.

An FAQ's quotes hold what its answer rests on; a visitor often asks for one
detail next to them (a study's patient count, where the authors worked, how
long to rest). The article's body is cut into paragraphs and list items
("lines") and those into sentences, each verbatim (whitespace collapsed, as
:func:`assistant.text.collapse_space` allows) with the studies it cites: its
own citation marks, else those of its line, else the study the section last
cited, for the list items and the paragraph introduced by a colon below it
(the "Study outline" bullets under a study's paragraph cite nothing
themselves but report that study).

Headings, the title and byline, the reference list and the page furniture
after it (forms, reviews, office footer) are not sentences.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from assistant.knowledge import Article
from assistant.text import collapse_space

# "(6)", also "(10looked" or "(5" at a line's end where the article lost a closing bracket.
_CITATION = re.compile(r"\((\d{1,3})(?:\)|(?=[A-Za-z])|$)")
_BULLET = "\u2022"
# A sentence ends at . ! ? (maybe followed by a closing quote or bracket) before
# a space and a capital, digit, opening quote or bracket.
_BOUNDARY = re.compile(r"(?<=[.!?])[\u201d\"')]?\s+(?=[A-Z0-9\u201c\"(])")
# Words before a full stop that do not end a sentence.
_ABBREVIATIONS = {"al", "dr", "vs", "e.g", "i.e", "etc", "st", "no", "fig", "mr", "mrs", "ms", "approx"}
MIN_WORDS = 3
# A study's report: "Here is what they said in their published research:" and the like.
_REPORT_INTRO = re.compile(
    r"\b(research|stud(y|ies)|published|said|found|wrote|report(ed|s)?|conclu\w*|authors?)\b", re.IGNORECASE)
REPORT_MAX_LINES = 12
# The line before such an introduction that opens the study ("Doctors in Germany examined ...").
_STUDY_INTRO = re.compile(
    r"\b(examined|investigated|analy[sz]ed|researchers|authors|published|journal|trial)\b", re.IGNORECASE)
# A line that opens a study by naming where it was published ("Research from a team
# of university researchers in India, writing in the journal Pain Practice ...").
_PUBLISHED_IN = re.compile(r"\b(journal|published|publishing)\b", re.IGNORECASE)
_CLINIC_VOICE = re.compile(r"^[\u2022\s\u201c\"]*(we|our|at caring medical)\b", re.IGNORECASE)
HEADING_MAX_WORDS = 20
# A line ending in one of these words runs on into the list below it; it is no heading.
_LEADING_WORDS = {"at", "of", "to", "the", "a", "an", "and", "or", "in", "with", "for", "that", "as", "by"}


@dataclass(frozen=True)
class Sentence:
    article: str  # knowledge text slug
    number: int  # position among the article's sentences
    line: int  # position of its paragraph or list item among the body's lines
    text: str  # verbatim, whitespace collapsed
    refs: tuple[int, ...]  # the studies it reports (reference numbers)


def introduces(line: str) -> bool:
    """A line that leads into the list below it: "They looked at:", "Then they looked at"."""
    words = line.rstrip().split()
    return line.rstrip().endswith(":") or bool(words) and words[-1].lower() in _LEADING_WORDS


def is_heading(line: str) -> bool:
    """A short line that is not a list item and does not end like a sentence or an introduction."""
    ending = _CITATION.sub("", line).rstrip().rstrip("\u201d\"'")
    return (not line.startswith(_BULLET) and not introduces(line) and len(line.split()) < HEADING_MAX_WORDS
            and not ending.endswith((".", ":", ";", ",")))


def split_sentences(line: str) -> list[str]:
    """One paragraph as sentences; "et al." and "Dr." do not end one."""
    parts: list[str] = []
    start = 0
    for match in _BOUNDARY.finditer(line):
        before = line[start:match.start()].rstrip(".!?\u201d\"')").split()
        last = before[-1].lower() if before else ""
        if last in _ABBREVIATIONS or (len(last) == 1 and last.isalpha()):
            continue  # "et al. 2018", "A. Schwarzer"
        parts.append(line[start:match.start()] + line[match.start():match.end()].rstrip())
        start = match.end()
    parts.append(line[start:])
    return [p.strip() for p in parts if p.strip()]


def body_lines(article: Article) -> list[str]:
    """The paragraphs and list items between the byline and the reference list, whitespace collapsed."""
    text = article.text
    if article.references:
        first = article.references[1]
        position = text.find(first)
        if position >= 0:
            text = text[:text.rfind("\n", 0, position) + 1]
    lines = [collapse_space(line) for line in text.splitlines()]
    return [line for line in lines if line and line != collapse_space(article.title)]


def _cited(text: str, article: Article) -> tuple[int, ...]:
    return tuple(dict.fromkeys(int(n) for n in _CITATION.findall(text) if int(n) in article.references))


_built: dict[str, tuple[Article, tuple[Sentence, ...]]] = {}


def sentences(article: Article) -> tuple[Sentence, ...]:
    """The article's sentences (built once per loaded text)."""
    built = _built.get(article.slug)
    if built is None or built[0] is not article:
        built = _built[article.slug] = (article, _split_article(article))
    return built[1]


def _split_article(article: Article) -> tuple[Sentence, ...]:
    lines = body_lines(article)
    reported = _reported_blocks(lines, article)
    found: list[Sentence] = []
    section_refs: tuple[int, ...] = ()  # the study the lines below report, if any
    previous = ""
    for number, line in enumerate(lines):
        if is_heading(line):
            section_refs, previous = (), line
            continue
        line_refs = _cited(line, article)
        if line_refs:
            section_refs = line_refs[-1:]
        elif not (line.startswith(_BULLET) or introduces(previous) or introduces(line)):
            # A new paragraph of its own: no longer about that study ("They looked at:" still is).
            section_refs = ()
        previous = line
        for part in split_sentences(line.lstrip(_BULLET + " ")):
            if len(part.split()) < MIN_WORDS:
                continue
            refs = _cited(part, article) or line_refs or section_refs or reported.get(number, ())
            found.append(Sentence(article.slug, len(found), number, part, refs))
    return tuple(found)


def _reported_blocks(lines: list[str], article: Article) -> dict[int, tuple[int, ...]]:
    """Lines that report a study cited only at the block's end: line number -> that study.

    The article quotes studies as "Doctors in Germany examined ... Here is what
    they said in their published research:" then paragraphs and bullets, the
    citation mark only after the last of them. A block opens at such an
    introduction (a line ending in ":" that speaks of research, with the line
    before it when that one introduces the study too; or a line naming the
    journal, "writing in the journal Pain Practice", whose citation comes four
    lines later: without it "which journal was that in?" found no journal for
    the study just discussed) and takes the study of
    the first cited line after it, unless a heading, the clinic's own voice
    ("We", "Our") or :data:`REPORT_MAX_LINES` lines come first: the clinic's
    commentary is never credited to a study.
    """
    blocks: dict[int, tuple[int, ...]] = {}
    for number, line in enumerate(lines):
        opens = (line.endswith(":") and _REPORT_INTRO.search(line)) or _PUBLISHED_IN.search(line)
        if not opens or _cited(line, article):
            continue
        before = lines[number - 1] if number else ""
        opened_before = (line.endswith(":") and _STUDY_INTRO.search(before) and not _cited(before, article)
                         and not is_heading(before) and not _CLINIC_VOICE.match(before))
        start = number - 1 if opened_before else number
        for end in range(number + 1, min(len(lines), number + 1 + REPORT_MAX_LINES)):
            refs = _cited(lines[end], article)
            if refs:
                blocks.update({n: refs[-1:] for n in range(start, end)})
                break
            if is_heading(lines[end]) or _CLINIC_VOICE.match(lines[end]):
                break
    return blocks
