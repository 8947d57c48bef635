"""The reply format: text for people, a ``custom`` object for programs.

Every bot turn sends its text (with buttons where useful) and one message whose
``custom`` object has a ``kind`` (:class:`assistant.reply_kinds.ReplyKind`). The
web widget, the staff console and ``make eval`` read that object instead of
parsing prose.
"""

from __future__ import annotations

from typing import Any

from rasa_sdk.executor import CollectingDispatcher

from assistant.answering.compose import Reply
from assistant.clinic import load_clinic
from assistant.faq import Faq, faq_index
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


def send_reply(dispatcher: CollectingDispatcher, reply: Reply) -> None:
    """An answer built by the answer layer (assistant.answering), with its buttons."""
    send(dispatcher, ReplyKind.ANSWER, reply.text, buttons=[BOOK_BUTTON] if reply.book else [],
         topic=reply.topic, title=reply.title, confidence=reply.confidence, answer=reply.body,
         sources=list(reply.sources), **reply.extra)


def topic_button(faq: Faq) -> dict[str, str]:
    # Buttons name the topic by id; the payload bypasses NLU, so a click can
    # never be misclassified.
    return {"title": faq.title, "payload": f'/choose_topic{{"topic": "{faq.id}"}}'}


def disclaimer() -> str:
    return DISCLAIMER.format(emergency=load_clinic().emergency_number)


def faqs() -> dict[str, Faq]:
    return faq_index()
