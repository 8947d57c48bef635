"""Replies to "yes", "no", "ok" and office names, which mean different things in each state.

Outside the booking form these words have no question to answer, and without
a reply of their own Rasa's fallback would run again and again until its
circuit breaker stopped the conversation for good. One action reads the state
(what the bot said last, whether a booking waits at its summary) and answers
in plain Python, so every state has a unit-tested reply.
"""

from __future__ import annotations

from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher

from actions.booking import awaiting_confirmation, send_already_booking, send_summary, submit_booking
from actions.conversation import menu_buttons
from actions.replies import BOOK_BUTTON, send
from assistant import bookings
from assistant.clinic import Office, load_clinic
from assistant.reply_kinds import ReplyKind

YES, NO, OFFICE, BOOK = "affirm", "deny", "choose_office", "book_appointment"


def last_bot_message(tracker: Tracker) -> dict[str, Any]:
    """The ``custom`` payload and buttons of the bot's latest message with a kind."""
    for event in reversed(tracker.events):
        if event.get("event") != "bot":
            continue
        data = event.get("data") or {}
        custom = data.get("custom")
        if isinstance(custom, dict) and custom.get("kind"):
            return {**custom, "buttons": data.get("buttons") or []}
    return {}


def office_named(tracker: Tracker) -> Office | None:
    """The office a button (entity) or typed name ("Fort Myers", "Chicago") points to."""
    chosen = next(tracker.get_latest_entity_values("office"), None)
    if chosen:
        return load_clinic().office(chosen)
    try:
        return bookings.match_office(tracker.latest_message.get("text") or "")
    except bookings.Invalid:
        return None


def send_office(dispatcher: CollectingDispatcher, office: Office | None) -> None:
    offices = [office] if office else load_clinic().offices
    lines = "\n".join(f"{o.short_name}: {o.address}, phone {o.phone}" for o in offices)
    send(dispatcher, ReplyKind.HANDOFF, f"{lines}\n\nIf you'd like the staff to contact you, I can pass on "
         "a booking request.", buttons=[BOOK_BUTTON],
         offices=[{"name": o.name, "address": o.address, "phone": o.phone} for o in offices])


def reply_in_form(dispatcher: CollectingDispatcher, tracker: Tracker, intent: str) -> list[EventType]:
    step = tracker.get_slot("requested_slot")
    office = office_named(tracker) if intent == OFFICE else None
    if office:
        send(dispatcher, ReplyKind.BOOKING, f"Noted: the {office.short_name} office.", step=step)
        return [SlotSet("booking_office", office.id)]
    send_already_booking(dispatcher, step)
    return []


def reply_at_summary(dispatcher: CollectingDispatcher, tracker: Tracker,
                     intent: str) -> list[EventType] | None:
    if intent == YES:
        return submit_booking(dispatcher, tracker)
    if intent == NO:
        send_summary(dispatcher, tracker.get_slot, question="What would you like to change? "
                     "Choose the answer to change, or Cancel.")
        return []
    office = office_named(tracker) if intent == OFFICE else None
    if office:
        changed = {"booking_office": office.id}
        send_summary(dispatcher, lambda slot: changed.get(slot, tracker.get_slot(slot)),
                     question=f"I've changed the office to {office.short_name}. Shall I send it?")
        return [SlotSet("booking_office", office.id)]
    return None


def reply_after(dispatcher: CollectingDispatcher, last: dict[str, Any], intent: str) -> None:
    """Yes or no to whatever the bot said last."""
    kind = last.get("kind")
    if kind == ReplyKind.URGENT:
        numbers = last.get("numbers") or [load_clinic().emergency_number]
        send(dispatcher, ReplyKind.URGENT, f"Please don't wait: call {' or '.join(numbers)} now, or go to "
             "the nearest emergency room. I'm here for questions about the SI joint when you're safe.",
             flags=last.get("flags") or [], call=numbers[0], numbers=numbers, repeat=True)
    elif kind == ReplyKind.CLARIFY and intent == YES:
        send(dispatcher, ReplyKind.CLARIFY, "Please choose one of these, or ask in other words:",
             buttons=last.get("buttons") or menu_buttons(), options=last.get("options") or [])
    elif intent == YES:
        send(dispatcher, ReplyKind.SMALLTALK, "Happy to help. Ask me anything about the SI joint in your "
             "own words, or choose a topic:", buttons=[*menu_buttons(), BOOK_BUTTON])
    elif kind == ReplyKind.CLARIFY:
        send(dispatcher, ReplyKind.SMALLTALK, "OK. Please ask in other words, or choose a topic:",
             buttons=menu_buttons())
    else:
        send(dispatcher, ReplyKind.SMALLTALK, "No problem. If there's anything else about the SI joint "
             "you'd like to know, just ask.")


class ActionEverydayReply(Action):
    def name(self) -> str:
        return "action_everyday_reply"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker,
                  domain: dict[str, Any]) -> list[EventType]:
        intent = (tracker.latest_message.get("intent") or {}).get("name") or ""
        if tracker.active_loop_name == "booking_form":
            return reply_in_form(dispatcher, tracker, intent)
        if awaiting_confirmation(tracker):
            events = reply_at_summary(dispatcher, tracker, intent)
            if events is not None:
                return events
        if intent == OFFICE:
            send_office(dispatcher, office_named(tracker))
            return []
        reply_after(dispatcher, last_bot_message(tracker), intent)
        return []
