"""Urgent-care advice and replies to input that cannot be answered."""

from __future__ import annotations

from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.executor import CollectingDispatcher

from actions.replies import send
from assistant.clinic import load_clinic
from assistant.triage import EMPTY, MAX_MESSAGE_CHARS, TOO_LONG, RedFlag, triage


def urgent_text(flags: tuple[RedFlag, ...]) -> str:
    """Crisis line first for self-harm, then 911 / ER for physical red flags."""
    clinic = load_clinic()
    lines = []
    if any(flag.advice == "crisis" for flag in flags):
        lines.append(
            f"If you are thinking about harming yourself, please call or text {clinic.crisis_line} "
            f"(Suicide & Crisis Lifeline) right now, or call {clinic.emergency_number} if you are "
            "in immediate danger. You don't have to go through this alone."
        )
    emergency = [flag.label for flag in flags if flag.advice == "emergency"]
    if emergency or not flags:
        signs = ", ".join(emergency) or "a possible emergency"
        lines.append(
            f"What you describe ({signs}) can be a sign of a medical emergency. "
            f"Please call {clinic.emergency_number} or go to the nearest emergency room now; "
            "don't wait for an appointment or for this chat."
        )
    lines.append("When you are safe, I'm happy to answer questions about the SI joint.")
    return "\n\n".join(lines)


class ActionUrgentCare(Action):
    def name(self) -> str:
        return "action_urgent_care"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker,
                  domain: dict[str, Any]) -> list[dict[str, Any]]:
        result = triage(tracker.latest_message.get("text"))
        crisis = result.advice == "crisis"
        send(dispatcher, "urgent", urgent_text(result.flags),
             flags=[flag.id for flag in result.flags],
             call=load_clinic().crisis_line if crisis else load_clinic().emergency_number)
        return []


class ActionUnusableInput(Action):
    def name(self) -> str:
        return "action_unusable_input"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker,
                  domain: dict[str, Any]) -> list[dict[str, Any]]:
        kind = triage(tracker.latest_message.get("text")).kind
        if kind == EMPTY:
            text = "I didn't get any text. Please type your question about the SI joint."
        elif kind == TOO_LONG:
            text = (f"That message is too long for me (over {MAX_MESSAGE_CHARS:,} characters). "
                    "Please ask one question in a sentence or two.")
        else:
            text = ("I can only read written questions in English. Please type your question "
                    "about the SI joint in words.")
        send(dispatcher, "fallback", text, reason=kind or "unreadable")
        return []
