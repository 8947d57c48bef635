"""The booking form: validation, summary, corrections, cancel and submission.

Rules for valid answers live in :mod:`assistant.bookings`; this module only
translates between Rasa slots and those rules, and phrases the replies.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from rasa_sdk import Action, FormValidationAction, Tracker
from rasa_sdk.events import ActiveLoop, EventType, FollowupAction, SlotSet
from rasa_sdk.executor import CollectingDispatcher

from actions.answers import answer_question_read_as_stop, send_decided_answer
from actions.conversation import send_capabilities, send_handoff
from actions.replies import BOOK_BUTTON, send
from assistant import bookings
from assistant.answering import decision_for
from assistant.clinic import Office, load_clinic
from assistant.reply_kinds import ReplyKind
from assistant.routing import ANSWER

log = logging.getLogger(__name__)

FORM_SLOTS = ("booking_name", "booking_contact", "booking_phone", "booking_email", "booking_office",
              "booking_times", "booking_problem", "booking_consent")
FIELD_LABELS = {
    "booking_name": "Name",
    "booking_contact": "Contact",
    "booking_office": "Office",
    "booking_times": "Preferred times",
    "booking_problem": "Problem",
}
CANCEL_BUTTON = {"title": "Cancel", "payload": "/stop"}


def _hint(dispatcher: CollectingDispatcher, tracker: Tracker, slot: str,
          error: bookings.Invalid) -> dict[str, Any]:
    """Re-ask with a hint, unless the visitor asked an FAQ question instead.

    A confident FAQ match that is not a valid answer is an interruption: it is
    answered, and the form asks its question again.
    """
    if not answer_if_faq(dispatcher, tracker):
        send(dispatcher, ReplyKind.BOOKING, str(error), step=slot, error=True)
    return {slot: None}


# Confident intents that are not answers to a form question: the visitor gets
# their reply and the question again. Buttons send these with confidence 1.0.
INTERRUPTION_MIN = 0.7
EVERYDAY_WORDS = {"affirm", "deny"}
QUESTION_WORDS = {"what", "how", "why", "when", "where", "which", "who", "can", "could", "does",
                  "do", "is", "are", "will", "should", "would", "tell"}
ASK_AGAIN = {
    "booking_name": "I need your full name for the request (or say \"stop\" to cancel).",
    "booking_contact": "Please type a phone number or an e-mail address (or say \"stop\" to cancel).",
    "booking_office": "Please choose one of the offices (or say \"stop\" to cancel).",
    "booking_times": "Please tell me which days and times suit you (or say \"stop\" to cancel).",
}


def _intent(tracker: Tracker) -> tuple[str | None, float]:
    intent = tracker.latest_message.get("intent") or {}
    return intent.get("name"), float(intent.get("confidence") or 0.0)


def looks_like_question(text: str) -> bool:
    words = text.strip().lower().split()
    return text.rstrip().endswith("?") or bool(words and words[0] in QUESTION_WORDS)


def asked_a_question(tracker: Tracker, slot: str, value: Any) -> bool:
    """The visitor answered this question with a question of their own."""
    return tracker.get_slot("requested_slot") == slot and looks_like_question(str(value or ""))


def interruption(dispatcher: CollectingDispatcher, tracker: Tracker, slot: str) -> dict[str, Any] | None:
    """Reply to a message that is not an answer to the form's question.

    Names and free text are taken from any message, so "hello", "what can you
    do", "yes" or "Oak Park" would otherwise become someone's name. Only
    confident intents interrupt: a name the classifier half-recognises ("Bobby
    Tables" looks a little like "what can you do") stays a name. Returns the
    slot values for the validation to return (the question is asked again).
    """
    intent, confidence = _intent(tracker)
    if confidence < INTERRUPTION_MIN or tracker.get_slot("requested_slot") != slot:
        return None  # not the visitor's answer to this question (e.g. kept from before)
    again: dict[str, Any] = {slot: None}
    office = exact_office(tracker.latest_message.get("text") or "")
    if intent == "choose_office" and office and slot != "booking_office":
        send(dispatcher, ReplyKind.BOOKING, f"Noted: the {office.short_name} office.", step=slot)
        return {**again, "booking_office": office.id}
    if intent in EVERYDAY_WORDS and slot in ASK_AGAIN:
        send(dispatcher, ReplyKind.BOOKING, ASK_AGAIN[slot], step=slot, error=True)
    elif intent == "capabilities":
        send_capabilities(dispatcher, in_form=True)
    elif intent == "human_handoff":
        send_handoff(dispatcher, in_form=True)
    elif intent == "bot_challenge":
        dispatcher.utter_message(response="utter_iamabot")
    elif intent == "book_appointment":
        send_already_booking(dispatcher, slot)
    elif intent == "greet":
        send(dispatcher, ReplyKind.SMALLTALK, "Hello!")
    elif intent == "thanks":
        send(dispatcher, ReplyKind.SMALLTALK, "You're welcome.")
    else:
        return None
    return again


def exact_office(text: str) -> Office | None:
    """An office named on its own ("Oak Park", "fort myers, fl"), not inside a name like "Jo Myers"."""
    return load_clinic().office_named(text, exact=True)


def send_already_booking(dispatcher: CollectingDispatcher, step: str | None) -> None:
    send(dispatcher, ReplyKind.BOOKING, "We're already putting your booking request together; just "
         "answer the question below, or say \"stop\" to cancel.", step=step or "booking")


def answer_if_faq(dispatcher: CollectingDispatcher, tracker: Tracker) -> bool:
    decision = decision_for(tracker.latest_message, with_passages=False)
    if decision.kind != ANSWER or not decision.topic:
        return False
    send_decided_answer(dispatcher, decision, tracker.latest_message.get("text") or "")
    return True


def _office_name(office_id: str | None) -> str:
    office = load_clinic().office(office_id)
    return f"{office.short_name} ({office.address}, {office.phone})" if office else "-"


class ValidateBookingForm(FormValidationAction):
    def name(self) -> str:
        return "validate_booking_form"

    def validate_booking_name(self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker,
                              domain: dict[str, Any]) -> dict[str, Any]:
        if (interrupted := interruption(dispatcher, tracker, "booking_name")) is not None:
            return interrupted
        if asked_a_question(tracker, "booking_name", value) and answer_if_faq(dispatcher, tracker):
            return {"booking_name": None}
        try:
            return {"booking_name": bookings.clean_name(str(value or ""))}
        except bookings.Invalid as error:
            return _hint(dispatcher, tracker, "booking_name", error)

    def validate_booking_contact(self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker,
                                 domain: dict[str, Any]) -> dict[str, Any]:
        if (interrupted := interruption(dispatcher, tracker, "booking_contact")) is not None:
            return interrupted
        try:
            contact = bookings.clean_contact(str(value or ""))
        except bookings.Invalid as error:
            return _hint(dispatcher, tracker, "booking_contact", error)
        shown = " and ".join(v for v in (contact.phone, contact.email) if v)
        return {"booking_contact": shown, "booking_phone": contact.phone, "booking_email": contact.email}

    def validate_booking_office(self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker,
                                domain: dict[str, Any]) -> dict[str, Any]:
        if (interrupted := interruption(dispatcher, tracker, "booking_office")) is not None:
            return interrupted
        try:
            return {"booking_office": bookings.match_office(str(value or "")).id}
        except bookings.Invalid as error:
            return _hint(dispatcher, tracker, "booking_office", error)

    def validate_booking_times(self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker,
                               domain: dict[str, Any]) -> dict[str, Any]:
        if (interrupted := interruption(dispatcher, tracker, "booking_times")) is not None:
            return interrupted
        if asked_a_question(tracker, "booking_times", value) and answer_if_faq(dispatcher, tracker):
            return {"booking_times": None}
        try:
            return {"booking_times": bookings.clean_free_text(str(value or ""), "preferred days and times")}
        except bookings.Invalid as error:
            return _hint(dispatcher, tracker, "booking_times", error)

    def validate_booking_problem(self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker,
                                 domain: dict[str, Any]) -> dict[str, Any]:
        if (interrupted := interruption(dispatcher, tracker, "booking_problem")) is not None:
            return interrupted
        intent, confidence = _intent(tracker)
        if intent == "deny" and confidence >= INTERRUPTION_MIN:
            return {"booking_problem": ""}  # "no, thanks": skipped
        if intent == "affirm" and confidence >= INTERRUPTION_MIN:
            send(dispatcher, ReplyKind.BOOKING, "Please describe it in a sentence or two (or say \"skip\").",
                 step="booking_problem")
            return {"booking_problem": None}
        try:
            problem = bookings.clean_free_text(str(value or ""), "description", optional=True)
        except bookings.Invalid as error:
            return _hint(dispatcher, tracker, "booking_problem", error)
        if problem and asked_a_question(tracker, "booking_problem", problem):
            # Kept as the description, and answered too if it is an FAQ.
            answer_if_faq(dispatcher, tracker)
        return {"booking_problem": problem or ""}  # "" = skipped, but answered

    def validate_booking_consent(self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker,
                                 domain: dict[str, Any]) -> dict[str, Any]:
        # False is an answer too: the summary step then ends the request kindly.
        return {"booking_consent": bool(value)}


class ActionBookingIntro(Action):
    """Served by the action server on purpose: if it is down, the turn stays
    empty and the channel tells the visitor to call (assistant/channels.py)."""

    def name(self) -> str:
        return "action_booking_intro"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker,
                  domain: dict[str, Any]) -> list[EventType]:
        if awaiting_confirmation(tracker):
            # The form finds every answer in place and goes straight to the summary.
            send(dispatcher, ReplyKind.BOOKING, "Your booking request is ready to send.", step="intro")
            return []
        send(dispatcher, ReplyKind.BOOKING, "I can pass a consultation request to the clinic's staff, who "
             "will contact you to arrange it. I'll ask a few short questions; say \"stop\" at any "
             "time to cancel.", step="intro")
        return []


class ActionAskBookingOffice(Action):
    """The office question lists both offices, with address and phone, from data/clinic.yml."""

    def name(self) -> str:
        return "action_ask_booking_office"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker,
                  domain: dict[str, Any]) -> list[EventType]:
        offices = load_clinic().offices
        lines = "\n".join(f"- {o.short_name}: {o.address}, {o.phone}" for o in offices)
        buttons = [{"title": o.short_name, "payload": f'/choose_office{{"office": "{o.id}"}}'}
                   for o in offices]
        send(dispatcher, ReplyKind.BOOKING, f"Which office would you prefer?\n{lines}",
             buttons=[*buttons, CANCEL_BUTTON], step="booking_office")
        return []


def summary_fields(get_slot: Callable[[str], Any]) -> dict[str, str]:
    problem = get_slot("booking_problem")
    return {
        "booking_name": get_slot("booking_name") or "-",
        "booking_contact": get_slot("booking_contact") or "-",
        "booking_office": _office_name(get_slot("booking_office")),
        "booking_times": get_slot("booking_times") or "-",
        "booking_problem": problem or "(not given)",
    }


def send_summary(dispatcher: CollectingDispatcher, get_slot: Callable[[str], Any],
                 question: str = "Shall I send it to the clinic?") -> None:
    """The answers, a Confirm button and one Change button per answer."""
    fields = summary_fields(get_slot)
    lines = "\n".join(f"{FIELD_LABELS[k]}: {v}" for k, v in fields.items())
    buttons = [{"title": "Confirm and send", "payload": "/confirm_booking"}]
    buttons += [{"title": f"Change {FIELD_LABELS[k].lower()}",
                 "payload": f'/correct_booking{{"booking_field": "{k}"}}'} for k in fields]
    send(dispatcher, ReplyKind.BOOKING, f"Please check your request:\n{lines}\n\n{question}",
         buttons=[*buttons, CANCEL_BUTTON], step="summary", summary=fields)


def awaiting_confirmation(tracker: Tracker) -> bool:
    """Every answer is in and the summary waits for "yes" or a change."""
    return tracker.active_loop_name != "booking_form" and form_from(tracker) is not None


class ActionBookingSummary(Action):
    def name(self) -> str:
        return "action_booking_summary"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker,
                  domain: dict[str, Any]) -> list[EventType]:
        if not tracker.get_slot("booking_consent"):
            # Without consent the clinic may not call back: send nothing.
            send(dispatcher, ReplyKind.BOOKING,
                 "Understood: without your consent the clinic can't contact you, so I haven't sent "
                 f"anything. You're welcome to call whenever you like: {load_clinic().phones}.",
                 step="booking_consent", status="cancelled")
            return [SlotSet(slot, None) for slot in FORM_SLOTS]
        send_summary(dispatcher, tracker.get_slot)
        return []


class ActionCorrectBooking(Action):
    """Clear one answer and let the form ask it again; the summary follows."""

    def name(self) -> str:
        return "action_correct_booking"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker,
                  domain: dict[str, Any]) -> list[EventType]:
        if not booking_open(tracker):
            # A "Change ..." button of a request already sent or cancelled.
            send(dispatcher, ReplyKind.BOOKING, "There's no booking request open to change. If you'd like "
                 "the clinic to contact you, I can start a new one.", buttons=[BOOK_BUTTON],
                 status="none")
            return [SlotSet("booking_field", None)]
        field = tracker.get_slot("booking_field")
        if field not in FIELD_LABELS:
            field = "booking_name"
        events: list[EventType] = [SlotSet(field, None), SlotSet("booking_field", None)]
        if field == "booking_contact":
            events += [SlotSet("booking_phone", None), SlotSet("booking_email", None)]
        return [*events, FollowupAction("booking_form")]


class ActionCancelBooking(Action):
    def name(self) -> str:
        return "action_cancel_booking"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker,
                  domain: dict[str, Any]) -> list[EventType]:
        if not booking_open(tracker):
            answered = answer_question_read_as_stop(dispatcher, tracker)
            if answered is not None:
                return answered
            # "never mind" or "stop" with nothing open: no booking to talk about.
            send(dispatcher, ReplyKind.SMALLTALK, "No problem. If there's anything else you'd like to know "
                 "about the SI joint, just ask.")
            return []
        send(dispatcher, ReplyKind.BOOKING, "OK, I've cancelled the booking request; nothing was sent. "
             "Feel free to keep asking questions.", status="cancelled")
        return [ActiveLoop(None), SlotSet("requested_slot", None),
                *(SlotSet(slot, None) for slot in FORM_SLOTS)]


def booking_open(tracker: Tracker) -> bool:
    """The form is running, or its answers wait at the summary to be sent."""
    return tracker.active_loop_name == "booking_form" or any(tracker.get_slot(s) for s in FORM_SLOTS)


def form_from(tracker: Tracker) -> bookings.BookingForm | None:
    if not all(tracker.get_slot(s) for s in ("booking_name", "booking_contact", "booking_office",
                                             "booking_times", "booking_consent")):
        return None
    return bookings.BookingForm(
        conversation_id=tracker.sender_id,
        full_name=tracker.get_slot("booking_name"),
        phone=tracker.get_slot("booking_phone"),
        email=tracker.get_slot("booking_email"),
        office=tracker.get_slot("booking_office"),
        preferred_times=tracker.get_slot("booking_times"),
        problem=tracker.get_slot("booking_problem") or None,
        consent=True,
    )


class ActionSubmitBooking(Action):
    def name(self) -> str:
        return "action_submit_booking"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker,
                  domain: dict[str, Any]) -> list[EventType]:
        return submit_booking(dispatcher, tracker)


def submit_booking(dispatcher: CollectingDispatcher, tracker: Tracker) -> list[EventType]:
    """Store and send the request, or say why there is nothing to send."""
    if tracker.active_loop_name == "booking_form":
        send_already_booking(dispatcher, tracker.get_slot("requested_slot"))
        return []
    form = form_from(tracker)
    if form is None:
        reference = tracker.get_slot("booking_reference")
        text = (f"Your request was already sent; its reference is {reference}."
                if reference else "There's no booking request to send yet. Say \"book a "
                "consultation\" to start one.")
        send(dispatcher, ReplyKind.BOOKING, text, booking_reference=reference,
             buttons=[] if reference else [BOOK_BUTTON], status="already_sent" if reference else "none")
        return []
    if (tracker.latest_message.get("metadata") or {}).get("booking_limit_reached"):
        # Set by the channel when this visitor's address sent many requests today.
        result = bookings.SubmitResult(None, "limited")
    else:
        result = bookings.submit(form)
    send(dispatcher, ReplyKind.BOOKING, submitted_text(form, result), booking_reference=result.reference,
         status=result.status, staff_notified=result.staff_notified, duplicate=result.duplicate)
    if result.status in ("failed", "invalid", "limited"):
        return []  # keep the answers: the visitor may try again or call
    return [SlotSet("booking_reference", result.reference), SlotSet("requested_slot", None),
            *(SlotSet(slot, None) for slot in FORM_SLOTS)]


def submitted_text(form: bookings.BookingForm, result: bookings.SubmitResult) -> str:
    clinic = load_clinic()
    if result.status == "limited":
        return ("Several booking requests have already been sent from here today, so I have NOT "
                "sent this one; the clinic will contact you about the earlier ones. To change or "
                f"add anything, please call the clinic: {clinic.phones}.")
    if result.status in ("failed", "invalid"):
        return ("I'm sorry: a technical problem stopped me from saving your request, so it has "
                f"NOT been sent. Please call the clinic instead: {clinic.phones}.")
    office = clinic.office(form.office)
    assert office is not None, "the form only accepts offices from data/clinic.yml"
    if result.status == "queued":
        return (f"Thank you. Our system is having a problem, so your request (reference "
                f"{result.reference}) is kept safely and will reach the staff as soon as it is "
                f"back. If you'd rather not wait, call the {office.short_name} office at "
                f"{office.phone}.")
    text = (f"Thank you, {form.full_name}. Your request has been sent: reference "
            f"{result.reference}. The {office.short_name} office staff will contact you to arrange "
            f"a consultation. Please note {clinic.name} is an {clinic.network_status}.")
    if not result.staff_notified:
        text += f" If you'd like to speak to someone sooner, call {office.phone}."
    return text + f" If your symptoms suddenly get worse, call {clinic.emergency_number}."
