"""Greeting, capabilities and handoff to the clinic's staff."""

from __future__ import annotations

from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.executor import CollectingDispatcher

from actions.answers import send_followup
from actions.replies import BOOK_BUTTON, disclaimer, faqs, send, topic_button
from assistant.answering import as_unplaced, own_decision, smalltalk_pointing_back
from assistant.clinic import load_clinic
from assistant.reply_kinds import ReplyKind

# The topic buttons offered by the greeting and "what can you do".
MENU_TOPICS = (
    "si_joint_what", "fusion_only_option", "si_vs_spine_hip_symptoms", "diagnostic_clues",
    "prolotherapy_what", "prp_what", "standard_treatment_pathway", "clinic_offices",
)


def menu_buttons() -> list[dict[str, str]]:
    known = faqs()
    return [topic_button(known[t]) for t in MENU_TOPICS if t in known]


class ActionGreet(Action):
    def name(self) -> str:
        return "action_greet"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker,
                  domain: dict[str, Any]) -> list[dict[str, Any]]:
        text = ("Hello! I answer questions about sacroiliac (SI) joint dysfunction and its "
                "treatment, from Caring Medical's article, and show the passage and study each "
                f"answer comes from. {disclaimer()}")
        send(dispatcher, ReplyKind.SMALLTALK, text, buttons=menu_buttons(), disclaimer=disclaimer())
        return []


def send_capabilities(dispatcher: CollectingDispatcher, in_form: bool = False) -> None:
    text = (f"I can answer {len(faqs())} kinds of questions from the clinic's article on SI "
            "joint dysfunction: what the SI joint is, symptoms and diagnosis, fusion surgery "
            "and its alternatives, injections, prolotherapy and PRP, the studies behind them, "
            "and how to reach the clinic. Ask in your own words, or pick a topic:")
    send(dispatcher, ReplyKind.SMALLTALK, text,
         buttons=[*menu_buttons(), *([] if in_form else [BOOK_BUTTON])])


def send_handoff(dispatcher: CollectingDispatcher, in_form: bool = False) -> None:
    """The people to call; outside a booking, also the offer to pass on a request."""
    clinic = load_clinic()
    text = (f"The clinic's staff are happy to help. Please call {clinic.offices_text}. "
            f"Fax: {clinic.fax}. Please note {clinic.name} is an {clinic.network_status}. "
            "If you'd like the staff to call you instead, I can pass on a booking request.")
    offices = [{"name": o.name, "address": o.address, "phone": o.phone} for o in clinic.offices]
    send(dispatcher, ReplyKind.HANDOFF, text, buttons=[] if in_form else [BOOK_BUTTON], offices=offices)


class ActionCapabilities(Action):
    def name(self) -> str:
        return "action_capabilities"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker,
                  domain: dict[str, Any]) -> list[dict[str, Any]]:
        in_form = tracker.active_loop_name == "booking_form"
        message = tracker.latest_message or {}
        if not in_form and smalltalk_pointing_back(message):
            # "Why that one?" right after an answer: a follow-up of it, if it reads as one.
            unplaced = as_unplaced(message)
            events = send_followup(dispatcher, tracker, unplaced, own_decision(unplaced))
            if events is not None:
                return events
        send_capabilities(dispatcher, in_form=in_form)
        return []


class ActionHandoff(Action):
    """Give the visitor the people to call, and offer a booking request."""

    def name(self) -> str:
        return "action_handoff"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker,
                  domain: dict[str, Any]) -> list[dict[str, Any]]:
        send_handoff(dispatcher, in_form=tracker.active_loop_name == "booking_form")
        return []
