"""The FAQ source of truth (``data/faq/*.yml``) and its validation.

Everything Rasa needs about FAQs (training phrasings, response texts, topic
titles for buttons) is generated from these files by :mod:`assistant.tools.build`,
and the action server reads the same files to attach quotes and citations.

File format::

    faqs:
      - id: prp_vs_steroids          # stable id, used as the reply's ``topic``
        title: PRP vs steroid shots  # short label for buttons
        answer: >-                   # faithful paraphrase of the article
          ...
        sources:                     # verbatim passages the answer rests on
          - quote: "..."
            ref: 21                  # the article's reference number, or null
        book: true                   # offer "Book a consultation" afterwards
        phrasings:                   # 12+ ways a visitor may ask
          - ...
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any

from ruamel.yaml import YAML

from assistant.knowledge import KNOWLEDGE_DIR, Article, get_article, load_articles
from assistant.paths import PROJECT_ROOT
from assistant.text import phrase_key

FAQ_DIR = PROJECT_ROOT / "data" / "faq"
MIN_PHRASINGS = 12
MAX_TITLE = 48
_ID = re.compile(r"^[a-z][a-z0-9_]{2,60}$")


@dataclass(frozen=True)
class Source:
    quote: str
    ref: int | None
    article: str | None = None  # knowledge text slug; None = the main article


@dataclass(frozen=True)
class Faq:
    id: str
    title: str
    answer: str
    sources: tuple[Source, ...]
    phrasings: tuple[str, ...]
    book: bool = False
    source_file: Path | None = None  # the YAML file that defines it (make import-labels appends there)
    location: str = ""  # "data/faq/x.yml:12", for error messages


@dataclass
class ValidationReport:
    errors: list[str] = field(default_factory=list)

    def add(self, where: str, message: str) -> None:
        self.errors.append(f"{where}: {message}")

    @property
    def ok(self) -> bool:
        return not self.errors


class FaqError(ValueError):
    """Raised when the FAQ source does not validate; lists every problem."""

    def __init__(self, errors: list[str]):
        super().__init__("\n".join(errors))
        self.errors = errors


def _where(path: Path, node: Any, key: Any = None) -> str:
    try:
        rel = path.relative_to(PROJECT_ROOT)
    except ValueError:
        rel = path
    line = None
    lc = getattr(node, "lc", None)
    if lc is not None:
        try:
            line = (lc.key(key)[0] if key is not None else lc.line) + 1
        except (KeyError, TypeError, IndexError):
            line = lc.line + 1
    return f"{rel}:{line}" if line else str(rel)


def _read_file(path: Path, report: ValidationReport) -> list[tuple[Any, Path]]:
    yaml = YAML(typ="rt")
    try:
        doc = yaml.load(path.read_text(encoding="utf-8"))
    except Exception as exc:  # ruamel raises many error types; report them all
        report.add(_where(path, None), f"not valid YAML: {exc}")
        return []
    if not isinstance(doc, dict) or not isinstance(doc.get("faqs"), list):
        report.add(_where(path, doc), "expected a mapping with a 'faqs:' list")
        return []
    return [(entry, path) for entry in doc["faqs"]]


def _parse_entry(entry: Any, path: Path, report: ValidationReport, knowledge_dir: Path) -> Faq | None:
    where = _where(path, entry)
    if not isinstance(entry, dict):
        report.add(where, "each FAQ must be a mapping")
        return None
    unknown = set(entry) - {"id", "title", "answer", "sources", "phrasings", "book"}
    if unknown:
        report.add(where, f"unknown keys {sorted(unknown)}")
    faq_id = entry.get("id")
    if not isinstance(faq_id, str) or not _ID.match(faq_id):
        report.add(_where(path, entry, "id") if "id" in entry else where,
                   f"'id' must be snake_case letters/digits, got {faq_id!r}")
        return None
    title = entry.get("title")
    if not isinstance(title, str) or not title.strip() or len(title) > MAX_TITLE:
        report.add(where, f"{faq_id}: 'title' must be 1-{MAX_TITLE} characters")
    answer = entry.get("answer")
    if not isinstance(answer, str) or len(answer.strip()) < 20:
        report.add(where, f"{faq_id}: 'answer' must be a paraphrase of at least 20 characters")
    sources = _parse_sources(entry, path, faq_id, report, knowledge_dir)
    phrasings = entry.get("phrasings")
    if not isinstance(phrasings, list) or not all(isinstance(p, str) and p.strip() for p in phrasings):
        report.add(where, f"{faq_id}: 'phrasings' must be a list of non-empty strings")
        phrasings = []
    elif len(phrasings) < MIN_PHRASINGS:
        report.add(_where(path, entry, "phrasings"),
                   f"{faq_id}: has {len(phrasings)} phrasings, needs at least {MIN_PHRASINGS}")
    return Faq(
        id=faq_id,
        title=str(title or faq_id).strip(),
        answer=" ".join(str(answer or "").split()),
        sources=tuple(sources),
        phrasings=tuple(str(p).strip() for p in phrasings),
        book=bool(entry.get("book", False)),
        source_file=path,
        location=where,
    )


def _parse_sources(entry: Any, path: Path, faq_id: str, report: ValidationReport,
                   knowledge_dir: Path) -> list[Source]:
    raw = entry.get("sources")
    if not isinstance(raw, list) or not raw:
        report.add(_where(path, entry), f"{faq_id}: needs at least one source quote")
        return []
    sources = []
    for item in raw:
        where = _where(path, item)
        if not isinstance(item, dict) or not isinstance(item.get("quote"), str):
            report.add(where, f"{faq_id}: a source needs a 'quote' string")
            continue
        slug = item.get("article")
        try:
            article: Article = get_article(slug, knowledge_dir)
        except (KeyError, FileNotFoundError) as exc:
            report.add(where, f"{faq_id}: {exc}")
            continue
        quote = " ".join(item["quote"].split())
        if len(quote) < 15:
            report.add(where, f"{faq_id}: quote too short to be a meaningful passage")
        elif not article.contains(quote):
            report.add(where, f"{faq_id}: quote is not verbatim in {article.slug}.txt: {quote[:80]!r}")
        ref = item.get("ref")
        if ref is not None and (not isinstance(ref, int) or ref not in article.references):
            report.add(where, f"{faq_id}: reference {ref!r} does not exist in {article.slug}.txt "
                              f"(it has 1-{max(article.references, default=0)})")
            ref = None
        sources.append(Source(quote=quote, ref=ref, article=slug))
    return sources


def _cross_checks(faqs: list[Faq], report: ValidationReport) -> None:
    seen_ids: dict[str, Faq] = {}
    seen_phrasings: dict[str, tuple[Faq, str]] = {}
    for faq in faqs:
        if faq.id in seen_ids:
            report.add(faq.location, f"duplicate id {faq.id!r} (also at {seen_ids[faq.id].location})")
        seen_ids[faq.id] = faq
        for phrase in faq.phrasings:
            key = phrase_key(phrase)
            if key in seen_phrasings and seen_phrasings[key][0].id != faq.id:
                other = seen_phrasings[key][0]
                report.add(faq.location, f"{faq.id}: phrasing {phrase!r} is also a phrasing of "
                                         f"{other.id} ({other.location})")
            elif key in seen_phrasings:
                report.add(faq.location, f"{faq.id}: phrasing {phrase!r} is listed twice")
            seen_phrasings[key] = (faq, phrase)


def load_faqs(faq_dir: Path = FAQ_DIR, knowledge_dir: Path = KNOWLEDGE_DIR,
              strict: bool = True) -> list[Faq]:
    """Load and validate every FAQ file; raise :class:`FaqError` on any problem."""
    report = ValidationReport()
    faqs: list[Faq] = []
    paths = sorted(faq_dir.glob("*.yml"))
    if not paths:
        report.add(str(faq_dir), "no FAQ files (*.yml)")
    for path in paths:
        for entry, src in _read_file(path, report):
            faq = _parse_entry(entry, src, report, knowledge_dir)
            if faq is not None:
                faqs.append(faq)
    _cross_checks(faqs, report)
    if strict and not report.ok:
        raise FaqError(report.errors)
    return faqs


def _source_fingerprint() -> tuple[tuple[str, int, int], ...]:
    paths = sorted([*FAQ_DIR.glob("*.yml"), *KNOWLEDGE_DIR.glob("*.txt")])
    return tuple((str(p), p.stat().st_mtime_ns, p.stat().st_size) for p in paths)


@lru_cache(maxsize=1)
def _load_index(fingerprint: tuple[tuple[str, int, int], ...]) -> dict[str, Faq]:
    load_articles.cache_clear()  # a new or changed knowledge text is part of the change
    return {faq.id: faq for faq in load_faqs()}


_last_good: dict[str, Faq] = {}


def faq_index() -> dict[str, Faq]:
    """FAQs by id: the action server's view, reloaded when the files change.

    ``make retrain`` promotes a model with a new FAQ while the action server
    runs; it must then answer with that FAQ without a restart. A file caught
    half-edited (it does not validate) leaves the last good index in place.
    """
    global _last_good
    try:
        _last_good = _load_index(_source_fingerprint())
    except (FaqError, OSError) as error:
        if not _last_good:
            raise
        logging.getLogger(__name__).warning("FAQ files do not load; keeping the last good ones: %s", error)
    return _last_good
