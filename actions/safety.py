"""Urgent-care advice and replies to input that cannot be answered."""

from __future__ import annotations

from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.executor import CollectingDispatcher

from actions.answers import answer_if_decided
from actions.replies import send
from assistant.clinic import load_clinic
from assistant.reply_kinds import ReplyKind
from assistant.triage import (
    CRISIS,
    EMERGENCY,
    EMPTY,
    MAX_MESSAGE_CHARS,
    OVERDOSE,
    SOON,
    TOO_LONG,
    RedFlag,
    flags_by_id,
    input_problem,
    level_of,
    numbers_for,
    red_flags,
)


def urgent_text(flags: tuple[RedFlag, ...]) -> str:
    """Crisis line first for self-harm, then 911 / ER, each sign named in plain words.

    A "see a doctor soon" sign alone gets its own, calmer wording (:func:`soon_text`).
    """
    clinic = load_clinic()
    ids = {flag.id for flag in flags}
    level = level_of(flags)
    if level == SOON:
        return soon_text(flags)
    lines = []
    if level == CRISIS:
        lines.append(
            f"I'm really sorry you're going through this. If you are thinking about suicide or "
            f"harming yourself, or someone you know is, please call or text {clinic.crisis_line} "
            f"(Suicide & Crisis Lifeline) now, or call {clinic.emergency_number} if anyone is in "
            "immediate danger. You don't have to go through this alone."
        )
    emergency = [flag.label for flag in flags if flag.grade == EMERGENCY]
    if emergency or not flags:
        signs = "; ".join(emergency) or "a possible emergency"
        lines.append(
            f"What you describe ({signs}) can be a sign of a medical emergency. "
            f"Please call {clinic.emergency_number} or go to the nearest emergency room now; "
            "don't wait for an appointment or for this chat."
        )
    if OVERDOSE in ids and level != CRISIS:
        lines.append(f"If the pills were taken on purpose, or you are thinking about ending your "
                     f"life, also call or text {clinic.crisis_line} (Suicide & Crisis Lifeline).")
    lines.append("When you are safe, I'm happy to answer questions about the SI joint.")
    return "\n\n".join(lines)


def soon_text(flags: tuple[RedFlag, ...]) -> str:
    """A warning sign that needs a doctor within days, not 911: say so plainly, then the numbers."""
    clinic = load_clinic()
    signs = "; ".join(flag.label for flag in flags if flag.grade == SOON)
    return (
        f"What you describe ({signs}) should be checked by a doctor soon: please see your own "
        f"doctor today or within the next few days, or call the clinic at {clinic.phones}. "
        f"If it gets worse quickly or you feel very unwell, call {clinic.emergency_number} "
        "or go to the nearest emergency room."
    )


def flags_of(tracker: Tracker) -> tuple[RedFlag, ...]:
    """The flags the NLU pipeline found (rules and classifier), from the parse data.

    Only when a parse has no triage (an ``/urgent_symptom`` payload) are the
    rules run here; the classifier stays in the Rasa server.
    """
    message = tracker.latest_message or {}
    found = (message.get("triage") or {}).get("flags")
    if found:
        return flags_by_id(found)
    return red_flags(message.get("text") or "")


class ActionUrgentCare(Action):
    """The urgent reply first; after "see a doctor soon", also the answer to what was asked."""

    def name(self) -> str:
        return "action_urgent_care"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker,
                  domain: dict[str, Any]) -> list[dict[str, Any]]:
        flags = flags_of(tracker)
        numbers = numbers_for(flags)
        level = level_of(flags) or EMERGENCY
        send(dispatcher, ReplyKind.URGENT, urgent_text(flags), flags=[flag.id for flag in flags],
             level=level, call=numbers[0] if numbers else load_clinic().emergency_number,
             numbers=numbers or [load_clinic().emergency_number])
        if level == SOON:
            return answer_if_decided(dispatcher, tracker)
        return []


class ActionUnusableInput(Action):
    def name(self) -> str:
        return "action_unusable_input"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker,
                  domain: dict[str, Any]) -> list[dict[str, Any]]:
        kind = input_problem(tracker.latest_message.get("text"))
        if kind == EMPTY:
            text = "I didn't get any text. Please type your question about the SI joint."
        elif kind == TOO_LONG:
            text = (f"That message is too long for me (over {MAX_MESSAGE_CHARS:,} characters). "
                    "Please ask one question in a sentence or two.")
        else:
            text = ("I can only read written questions in English. Please type your question "
                    "about the SI joint in words.")
        send(dispatcher, ReplyKind.FALLBACK, text, reason=kind or "unreadable")
        return []
