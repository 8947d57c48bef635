"""FAQ answers, clarifying questions and polite declines."""

from __future__ import annotations

from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.events import SlotSet
from rasa_sdk.executor import CollectingDispatcher

from actions.replies import (
    BOOK_BUTTON,
    HUMAN_BUTTON,
    faqs,
    send,
    send_checkin,
    send_reply,
    topic_button,
)
from assistant.answering import (
    Context,
    as_unplaced,
    context_through_which_one,
    decision_for,
    followup_for,
    own_decision,
    question_read_as_stop,
    reply_for_decision,
    sentence_reply_for,
)
from assistant.answering.compose import faq_reply
from assistant.answering.followups import first_study
from assistant.answering.vocabulary import question_part
from assistant.clinic import load_clinic
from assistant.reply_kinds import ReplyKind
from assistant.routing import ANSWER, CLARIFY, PASSAGE_TOPIC, Decision
from assistant.triage import is_diagnosis_request

# Shown when the bot declines: the topics visitors ask about most.
SUGGESTED_TOPICS = ("fusion_only_option", "prolotherapy_what", "diagnostic_clues")
SOMETHING_ELSE_BUTTON = {"title": "Something else", "payload": "/capabilities"}


def _chosen_topic(tracker: Tracker) -> str | None:
    """The topic id of a button click (``/choose_topic{"topic": ...}``)."""
    if (tracker.latest_message.get("intent") or {}).get("name") != "choose_topic":
        return None
    return next(tracker.get_latest_entity_values("topic"), None)


def send_decided_answer(dispatcher: CollectingDispatcher, decision: Decision,
                        question: str = "") -> list[dict[str, Any]]:
    """Send an ANSWER decision (an FAQ or a passage); the events that record its topic."""
    reply = reply_for_decision(decision, question)
    send_reply(dispatcher, reply)
    return [SlotSet("topic", reply.topic)] if reply.topic in faqs() else []


# Bot reply kinds that may follow an answer in the same turn and keep its context.
_AFTER_ANSWER = {"answer", "checkin"}


def last_answer_context(tracker: Tracker) -> Context | None:
    """What the bot's reply to the previous message was about, if that reply was an answer.

    Read from the conversation's events (the previous user message and the bot
    messages after it), so the context ends by itself after a decline, a red
    flag, the booking form or small talk: those replies are no answer. A
    which-one question passes on the context of the answer before it.
    """
    events = list(tracker.events)
    users = [i for i, e in enumerate(events) if e.get("event") == "user"]
    if len(users) < 2:
        return None
    start, end = users[-2], users[-1]
    kinds = [(e.get("data") or {}).get("custom") or {}
             for e in events[start:end] if e.get("event") == "bot"]
    if len(kinds) == 1 and (through := context_through_which_one(kinds[0])) is not None:
        return through  # the visitor answers "Do you mean PRP or a steroid injection?"
    answers = [k for k in kinds if k.get("kind") == "answer"]
    if not answers or any(k.get("kind") not in _AFTER_ANSWER for k in kinds):
        return None
    topic, sentence = answers[-1].get("topic"), (answers[-1].get("sentence") or {}).get("number")
    study = first_study(answers[-1].get("sources") or [])
    question = events[start].get("text") or ""
    if topic in faqs():
        if question.startswith("/"):  # a button click: the topic's title is what was asked
            question = faqs()[topic].title
        return Context(question, topic, study=study)
    if topic == PASSAGE_TOPIC and isinstance(sentence, int):  # one sentence of the article
        return Context(question, topic, sentence, study)
    return None


def send_followup(dispatcher: CollectingDispatcher, tracker: Tracker, parse: dict[str, Any],
                  own: Decision) -> list[dict[str, Any]] | None:
    """Answer a follow-up of the previous answer; None when the message is not one.

    ``parse``: the message as it is read; ``own``: its decision read alone (own_decision).
    """
    reply = followup_for(parse, last_answer_context(tracker), own)
    if reply is None:
        return None
    if reply.kind == ReplyKind.CLARIFY:
        # "Do you mean PRP or a steroid injection?": each button sends the follow-up with that subject named.
        send(dispatcher, ReplyKind.CLARIFY, reply.text,
             buttons=[{"title": name, "payload": question}
                      for name, question in zip(reply.extra["subjects"], reply.options, strict=True)],
             options=[{"question": q} for q in reply.options], **reply.extra)
        return []
    send_reply(dispatcher, reply)
    send_checkin(dispatcher, tracker.latest_message)
    return [SlotSet("topic", reply.topic)] if reply.topic in faqs() else []


def send_sentence_answer(dispatcher: CollectingDispatcher, tracker: Tracker) -> bool:
    """Before declining: the one sentence of the article that clearly answers it, if there is one."""
    reply = sentence_reply_for(tracker.latest_message.get("text") or "")
    if reply is None:
        return False
    send_reply(dispatcher, reply)
    return True


def send_decline(dispatcher: CollectingDispatcher, reason: str = "out_of_scope") -> None:
    clinic = load_clinic()
    known = faqs()
    opening = ("I'm sorry, I can't diagnose you or read scans and reports: only a clinician who "
               "examines you can. " if reason == "diagnosis" else "Sorry, I can't help with that. ")
    text = (
        opening + "I answer questions in English about sacroiliac (SI) "
        "joint dysfunction and its treatment, from the clinic's article, and I can't diagnose, "
        "read scans or advise on medicines. You could ask, for example, whether fusion is your "
        "only option or what prolotherapy is. To talk it over with the clinic, book a "
        f"consultation or call {clinic.phones}."
    )
    buttons = [topic_button(known[t]) for t in SUGGESTED_TOPICS if t in known]
    send(dispatcher, ReplyKind.FALLBACK, text, buttons=[*buttons, BOOK_BUTTON, HUMAN_BUTTON],
         reason=reason)


def parse_before_triage(message: dict[str, Any]) -> dict[str, Any]:
    """The parse as the classifiers left it, before TriageOverride put its intent first."""
    ranking = [r for r in message.get("intent_ranking") or [] if r.get("name") != "urgent_symptom"]
    if not ranking:
        return message
    return {**message, "intent": ranking[0], "intent_ranking": ranking}


def answer_if_decided(dispatcher: CollectingDispatcher, tracker: Tracker) -> list[dict[str, Any]]:
    """After a "see a doctor soon" reply: the answer to the question asked, if there is one.

    Only an answer is added: a decline or a clarifying question would bury the advice.
    The FAQ is chosen on the sentences that ask (``question_part``), not on the
    symptoms told around them: "I've had a slight temperature for four days"
    pulled "how many prolotherapy treatments will I need?" towards recovery.
    """
    parse = parse_before_triage(tracker.latest_message or {})
    if (parse.get("intent") or {}).get("name") not in {"faq", "out_of_scope", "nlu_fallback"}:
        return []
    text = parse.get("text") or ""
    asked = question_part(text) or text
    decision = decision_for({**parse, "text": asked})
    if decision.kind == ANSWER and decision.topic:
        return send_decided_answer(dispatcher, decision, asked)
    return []


def answer_unplaced(dispatcher: CollectingDispatcher, tracker: Tracker,
                    parse: dict[str, Any]) -> list[dict[str, Any]] | None:
    """Answer a message the classifiers placed under no FAQ, if something here answers it.

    In turn: a follow-up of the answer before; an FAQ decide() still finds (a
    new FAQ not in the model yet, or DIET torn between an FAQ and out of
    scope); the one sentence of the article that clearly answers it. None when
    nothing does: the caller declines or replies as it would have.
    """
    decision = own_decision(parse)
    followup = send_followup(dispatcher, tracker, parse, decision)
    if followup is not None:
        return followup
    if decision.kind == ANSWER and decision.topic:
        events = send_decided_answer(dispatcher, decision, parse.get("text") or "")
    elif send_sentence_answer(dispatcher, tracker):
        events = []
    else:
        return None
    send_checkin(dispatcher, tracker.latest_message)
    return events


def answer_question_read_as_stop(dispatcher: CollectingDispatcher,
                                 tracker: Tracker) -> list[dict[str, Any]] | None:
    """Answer a content question DIET read as "stop", when no booking is open and it is one.

    assistant.answering.question_read_as_stop says which messages; None: not
    such a question, or nothing here answers it.
    """
    message = tracker.latest_message or {}
    if not question_read_as_stop(message):
        return None
    return answer_unplaced(dispatcher, tracker, as_unplaced(message))


class ActionAnswerFaq(Action):
    """Answer with quote and citation, or ask which FAQ was meant."""

    def name(self) -> str:
        return "action_answer_faq"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker,
                  domain: dict[str, Any]) -> list[dict[str, Any]]:
        known = faqs()
        chosen = _chosen_topic(tracker)
        if chosen in known:
            send_reply(dispatcher, faq_reply(known[chosen], None))
            return [SlotSet("topic", chosen)]
        decision = own_decision(tracker.latest_message)
        followup = send_followup(dispatcher, tracker, tracker.latest_message, decision)
        if followup is not None:
            return followup
        events: list[dict[str, Any]] = []
        if decision.kind == ANSWER and decision.topic:
            events = send_decided_answer(dispatcher, decision,
                                         tracker.latest_message.get("text") or "")
        elif decision.kind == CLARIFY:
            options = [known[t] for t in decision.options]
            send(dispatcher, ReplyKind.CLARIFY,
                 "I want to be sure I answer the right question. Did you mean:",
                 buttons=[*(topic_button(f) for f in options), SOMETHING_ELSE_BUTTON],
                 options=[{"topic": f.id, "title": f.title} for f in options])
        elif not send_sentence_answer(dispatcher, tracker):
            send_decline(dispatcher, reason="low_confidence")
        send_checkin(dispatcher, tracker.latest_message)
        return events


class ActionOutOfScope(Action):
    def name(self) -> str:
        return "action_out_of_scope"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker,
                  domain: dict[str, Any]) -> list[dict[str, Any]]:
        diagnosis = is_diagnosis_request(tracker.latest_message.get("text") or "")
        if not diagnosis:
            events = answer_unplaced(dispatcher, tracker, tracker.latest_message)
            if events is not None:
                return events
        send_decline(dispatcher, reason="diagnosis" if diagnosis else "out_of_scope")
        send_checkin(dispatcher, tracker.latest_message)
        return []
