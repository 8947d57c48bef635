"""The reply format: text for people, a ``custom`` object for programs.

Every bot turn sends its text (with buttons where useful) and one message whose
``custom`` object has a ``kind`` (:class:`assistant.reply_kinds.ReplyKind`). The
web widget, the staff console and ``make eval`` read that object instead of
parsing prose.
"""

from __future__ import annotations

from typing import Any

from rasa_sdk.executor import CollectingDispatcher

from assistant.clinic import load_clinic
from assistant.faq import Faq, faq_index
from assistant.knowledge import get_article
from assistant.passages import Passage
from assistant.reply_kinds import ReplyKind
from assistant.triage import CHECKIN

BOOK_BUTTON = {"title": "Book a consultation", "payload": "/book_appointment"}
HUMAN_BUTTON = {"title": "Talk to a person", "payload": "/human_handoff"}
DISCLAIMER = (
    "I'm an automated assistant sharing the clinic's article, not medical advice. "
    "In an emergency, call {emergency}."
)


def send(dispatcher: CollectingDispatcher, kind: ReplyKind, text: str,
         buttons: list[dict[str, str]] | None = None, **custom: Any) -> None:
    """Send one visitor-facing message plus its machine-readable twin."""
    dispatcher.utter_message(text=text, buttons=buttons or [],
                             json_message={"kind": ReplyKind(kind).value, **custom})


def distressed(message: dict[str, Any] | None) -> bool:
    """The NLU pipeline read weariness or distress in the message (grade ``checkin``)."""
    return ((message or {}).get("triage") or {}).get("level") == CHECKIN


def send_checkin(dispatcher: CollectingDispatcher, message: dict[str, Any] | None) -> None:
    """After the answer to a distressed message, one warm line with the crisis line.

    Ambiguous distress ("I'm not sure how much more of this I can take") gets
    the answer it asked for, not a crisis script; this line is the check-in.
    """
    if not distressed(message):
        return
    line = load_clinic().crisis_line
    send(dispatcher, ReplyKind.CHECKIN,
         "Living with pain like this is hard. If it ever feels like too much, you can call or "
         f"text {line} (Suicide & Crisis Lifeline) any time, day or night.",
         call=line, numbers=[line])


def topic_button(faq: Faq) -> dict[str, str]:
    # Buttons name the topic by id; the payload bypasses NLU, so a click can
    # never be misclassified.
    return {"title": faq.title, "payload": f'/choose_topic{{"topic": "{faq.id}"}}'}


def disclaimer() -> str:
    return DISCLAIMER.format(emergency=load_clinic().emergency_number)


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


def sources_payload(faq: Faq) -> list[dict[str, Any]]:
    return [
        {"quote": s.quote, "citation": citation_for(s.ref, s.article), "ref": s.ref,
         "label": source_label(s.ref, s.article)}
        for s in faq.sources
    ]


PASSAGE_TITLE = "From the clinic's article"
PASSAGE_LEAD = ("No prepared answer fits your question exactly, but this passage of the clinic's "
                "article speaks to it:")


def passage_sources(passage: Passage) -> list[dict[str, Any]]:
    """The passage once, with every study it cites in its label (the article itself if none)."""
    refs = passage.refs or (None,)
    label = "; ".join(source_label(ref, passage.article) for ref in refs)
    return [{"quote": passage.text, "citation": citation_for(refs[0], passage.article), "ref": refs[0],
             "label": label}]


def passage_text(passage: Passage) -> str:
    source = passage_sources(passage)[0]
    return f"{PASSAGE_LEAD}\n\n“{source['quote']}”\n— {source['label']}"


def answer_body(faq: Faq) -> str:
    return load_clinic().fill(faq.answer)


def answer_text(faq: Faq) -> str:
    """Answer, then each verbatim passage and where it comes from."""
    parts = [answer_body(faq)]
    parts += [f"“{s['quote']}”\n— {s['label']}" for s in sources_payload(faq)]
    return "\n\n".join(parts)


def faqs() -> dict[str, Faq]:
    return faq_index()
