"""The words of an answer: the FAQ's paraphrase, its verbatim quotes and where each comes from.

Built here, not in the action server, so that ``make eval-article`` scores the
very text a visitor reads (the action server sends :class:`Reply` as is).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from assistant.answering.quotes import choose_quotes
from assistant.answering.sentences import Sentence
from assistant.clinic import load_clinic
from assistant.faq import Faq
from assistant.knowledge import get_article
from assistant.passages import Passage
from assistant.routing import PASSAGE_TOPIC

PASSAGE_TITLE = "From the clinic's article"
SENTENCE_LEAD = ("No prepared answer covers this exactly, but the clinic's article says this about it:")
PASSAGE_LEAD = ("No prepared answer fits your question exactly, but this passage of the clinic's "
                "article speaks to it:")


@dataclass(frozen=True)
class Reply:
    """What the bot says to one message, as the action server sends it.

    ``kind`` is a :class:`assistant.reply_kinds.ReplyKind` value, or the intent
    name for replies the answer layer does not make (greetings, booking).
    """

    kind: str
    topic: str | None = None
    title: str = ""
    text: str = ""
    body: str = ""  # the answer's own words, without the quotes
    sources: tuple[dict[str, Any], ...] = ()
    confidence: float | None = None
    book: bool = False  # offer "Book a consultation"
    options: tuple[str, ...] = ()  # clarifying question: the FAQ ids offered
    extra: dict[str, Any] = field(default_factory=dict)  # more fields of the custom object

    @property
    def evidence(self) -> str:
        """Everything a visitor can read in it: text, quotes and citations."""
        parts = [self.text]
        for source in self.sources:
            parts += [source.get("quote") or "", str(source.get("citation") or "")]
        return " ".join(parts)


def citation_for(ref: int | None, article_slug: str | None = None) -> str | None:
    if ref is None:
        return None
    return get_article(article_slug).references.get(ref)


def source_label(ref: int | None, article_slug: str | None = None) -> str:
    """"[7] Author. Title. Journal." or, for an uncited passage, the article itself."""
    citation = citation_for(ref, article_slug)
    if citation is None:
        return f"{load_clinic().name}, “{get_article(article_slug).title}”"
    return f"[{ref}] {citation}"


def source_entry(quote: str, ref: int | None, article_slug: str | None = None) -> dict[str, Any]:
    return {"quote": quote, "citation": citation_for(ref, article_slug), "ref": ref,
            "label": source_label(ref, article_slug)}


def sources_payload(faq: Faq) -> list[dict[str, Any]]:
    return [source_entry(s.quote, s.ref, s.article) for s in faq.sources]


def passage_sources(passage: Passage) -> list[dict[str, Any]]:
    """The passage once, with every study it cites in its label (the article itself if none)."""
    refs = passage.refs or (None,)
    label = "; ".join(source_label(ref, passage.article) for ref in refs)
    return [{"quote": passage.text, "citation": citation_for(refs[0], passage.article), "ref": refs[0],
             "label": label}]


def quoted(sources: list[dict[str, Any]]) -> list[str]:
    return [f"“{s['quote']}”\n— {s['label']}" for s in sources]


def passage_text(passage: Passage) -> str:
    return "\n\n".join([PASSAGE_LEAD, *quoted(passage_sources(passage))])


def answer_body(faq: Faq) -> str:
    return load_clinic().fill(faq.answer)


def answer_text(faq: Faq, sources: list[dict[str, Any]] | None = None) -> str:
    """Answer, then each verbatim passage and where it comes from."""
    return "\n\n".join([answer_body(faq), *quoted(sources_payload(faq) if sources is None else sources)])


def faq_reply(faq: Faq, confidence: float | None, index_only: bool = False, question: str = "",
              followup: bool = False, study: int | None = None) -> Reply:
    """An FAQ's answer, its quotes chosen for the question (assistant.answering.quotes).

    ``study``: for a follow-up, the study the answer before cited first.
    """
    sources = [source_entry(q.text, q.ref, q.article) for q in choose_quotes(question, faq, followup, study)]
    # index_only: found by retrieval alone while the model learning this FAQ trains (staff can tell).
    return Reply("answer", faq.id, faq.title, answer_text(faq, sources), answer_body(faq),
                 tuple(sources), confidence, faq.book,
                 extra={"index_only": True} if index_only else {})


def sentence_reply(sentence: Sentence, confidence: float | None) -> Reply:
    """One sentence of the article, verbatim with the study it reports, for a question no FAQ fits."""
    ref = sentence.refs[0] if sentence.refs else None
    sources = [source_entry(sentence.text, ref, sentence.article)]
    return Reply("answer", PASSAGE_TOPIC, PASSAGE_TITLE, "\n\n".join([SENTENCE_LEAD, *quoted(sources)]),
                 SENTENCE_LEAD, tuple(sources), confidence, True,
                 extra={"sentence": {"article": sentence.article, "number": sentence.number}})


def passage_reply(passage: Passage, confidence: float | None) -> Reply:
    """A passage of the article, verbatim with its citations, for a question no FAQ fits."""
    return Reply("answer", PASSAGE_TOPIC, PASSAGE_TITLE, passage_text(passage), PASSAGE_LEAD,
                 tuple(passage_sources(passage)), confidence, True,
                 extra={"passage": {"article": passage.article, "number": passage.number}})
