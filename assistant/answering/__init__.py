"""The answer layer: from a parsed message to the answer a visitor gets.

One entry point, :func:`reply_for_parse`, used by the action server
(``actions/answers.py``) and by ``make eval-article`` alike, so the evaluation
scores exactly what visitors read. The decision itself (answer, clarify,
decline) is :func:`assistant.routing.decide`; the words are built in
:mod:`assistant.answering.compose`.
"""

from __future__ import annotations

import re
from typing import Any

from assistant.answering.compose import Reply, faq_reply, passage_reply, sentence_reply
from assistant.answering.details import asked_details
from assistant.answering.followups import (
    Context,
    context_after,
    context_through_which_one,
    followup_reply,
    is_short,
    points_back,
)
from assistant.answering.sentence_answers import sentence_answer
from assistant.answering.vocabulary import SPANISH_UNKNOWN_LIMIT, UNKNOWN_LIMIT, unknown_words
from assistant.faq import faq_index
from assistant.passages import default_passage_retriever
from assistant.passages import enabled as passages_enabled
from assistant.retrieval import default_retriever
from assistant.routing import ANSWER, CLARIFY, FALLBACK, FAQ_INTENT, PASSAGE_TOPIC, Decision, decide
from assistant.served import index_faqs
from assistant.spanish import READ_AS_SPANISH
from assistant.text import asks
from assistant.triage import is_diagnosis_request

URGENT_INTENT = "urgent_symptom"
DECLINE_INTENTS = frozenset({"out_of_scope", "nlu_fallback"})
SMALLTALK_INTENTS = frozenset({"greet", "goodbye", "thanks", "bot_challenge", "capabilities"})

__all__ = ["Context", "Reply", "context_after", "context_through_which_one", "decision_for", "followup_for",
           "reply_for_decision", "reply_for_parse", "sentence_reply_for", "smalltalk_pointing_back",
           "detail_question_read_as_smalltalk"]

# Intents whose messages may be follow-ups: questions, and questions the classifiers could not place.
FOLLOWUP_INTENTS = frozenset({FAQ_INTENT}) | DECLINE_INTENTS


def decision_for(parse: dict[str, Any], with_passages: bool | None = None) -> Decision:
    """The decision for a message DIET calls an FAQ question or out of scope."""
    if with_passages is None:
        with_passages = passages_enabled()
    decision = decide(parse, set(faq_index()), retriever=default_retriever(), index_topics=index_faqs(),
                      passages=default_passage_retriever() if with_passages else None)
    if decision.kind == ANSWER and decision.topic in faq_index():
        # It asks about something nothing here mentions ("can I drink alcohol after ..."):
        # the FAQ it resembles would answer another question (assistant/answering/vocabulary.py).
        limit = SPANISH_UNKNOWN_LIMIT if parse.get(READ_AS_SPANISH) else UNKNOWN_LIMIT
        if len(unknown_words(parse.get("text") or "")) >= limit:
            return Decision(FALLBACK, None, 0.0)
    return decision


def reply_for_decision(decision: Decision, question: str = "") -> Reply:
    """An ANSWER decision as the answer's words; a clarifying question or a decline as their kind."""
    if decision.kind == ANSWER and decision.topic == PASSAGE_TOPIC and decision.passage is not None:
        return passage_reply(decision.passage, round(decision.confidence, 4))
    if decision.kind == ANSWER and decision.topic:
        return faq_reply(faq_index()[decision.topic], round(decision.confidence, 4), decision.index_only,
                         question)
    if decision.kind == CLARIFY:
        return Reply("clarify", decision.topic, options=decision.options)
    return Reply("fallback")


def sentence_reply_for(text: str) -> Reply | None:
    """An answer with the one sentence of the article that clearly answers a declined question."""
    found = sentence_answer(text)
    return sentence_reply(found.sentence, round(found.coverage, 4)) if found else None


def own_decision(parse: dict[str, Any]) -> Decision:
    """The message's decision read alone: FAQ questions may get a passage, others only an FAQ."""
    intent = (parse.get("intent") or {}).get("name")
    return decision_for(parse, with_passages=None if intent == FAQ_INTENT else False)


def followup_for(parse: dict[str, Any], context: Context | None, own: Decision | None = None) -> Reply | None:
    """The answer to a follow-up of the last answer, if the message is one (assistant.answering.followups).

    ``own``: the message's :func:`own_decision`, when the caller has it already (it needs it
    for a message that is no follow-up), so that it is computed once.
    """
    intent = (parse.get("intent") or {}).get("name")
    text = parse.get("text") or ""
    if context is None or intent not in FOLLOWUP_INTENTS or is_diagnosis_request(text):
        return None
    return followup_reply(text, own if own is not None else own_decision(parse), context)


STOP_INTENT = "stop"
# A question shorter than this is a bare command ("stop it", "cancel?").
_QUESTION_MIN_WORDS = 3
# Words of a request to stop the booking itself ("can you cancel that?"): never read as a question.
_ABOUT_BOOKING = re.compile(r"\b(cancel\w*|book\w*|form|request|appointment|never ?mind|forget|quit|abort)\b",
                            re.IGNORECASE)


def question_read_as_stop(parse: dict[str, Any]) -> bool:
    """DIET read a content question as "stop" ("did they stop their pain meds?").

    The word "stop" carries the everyday intent; retraining with such phrasings
    as FAQ examples broke other answers (docs/nlu.md). A message shaped as a
    question, of a few words, that names nothing of the booking is such a question.
    """
    text = parse.get("text") or ""
    if (parse.get("intent") or {}).get("name") != STOP_INTENT or len(text.split()) < _QUESTION_MIN_WORDS:
        return False
    return asks(text) and not _ABOUT_BOOKING.search(text) and not is_diagnosis_request(text)


# Small talk DIET confuses with a short question about the answer before ("why that one?").
_ASKS_BACK_INTENTS = frozenset({"capabilities", "bot_challenge"})


def smalltalk_pointing_back(parse: dict[str, Any]) -> bool:
    """DIET read a short question about the answer before as small talk.

    "Why that one?" after an answer came back as "what can you do?"
    (capabilities, 0.64). A short message that asks and points back ("that",
    "it", "those") is tried as a follow-up first; thanks and greetings never are.
    """
    text = parse.get("text") or ""
    return ((parse.get("intent") or {}).get("name") in _ASKS_BACK_INTENTS and is_short(text)
            and asks(text) and points_back(text))


# A message about the assistant or the visitor ("how old are you?", "where do I start?").
_ABOUT_US = re.compile(r"\b(you|your|yours|yourself|u|ur|i|me|my|we|us)\b", re.IGNORECASE)


def detail_question_read_as_smalltalk(parse: dict[str, Any]) -> bool:
    """DIET read a short question for a detail as small talk.

    After an answer about a study, "where they at?" came back as a greeting
    (0.54), "when was that printed" as thanks and "how old" as "what can you
    do?": three words are too few for DIET to place. A short message that asks
    for a detail the article holds (a place, a year, an age, a journal, a
    count: :mod:`assistant.answering.details`) and speaks neither of the
    assistant nor of the visitor ("where do I start?") is no small talk; the
    NLU pipeline reads it as out of scope (assistant/nlu_components.py), so
    that the answer layer tries it as a follow-up, and declines it when there
    is nothing before to follow.
    """
    text = parse.get("text") or ""
    return ((parse.get("intent") or {}).get("name") in SMALLTALK_INTENTS and is_short(text)
            and asks(text) and bool(asked_details(text)) and not _ABOUT_US.search(text))


def as_unplaced(parse: dict[str, Any]) -> dict[str, Any]:
    """The parse read as a message the classifiers placed under no FAQ (out of scope)."""
    confidence = (parse.get("intent") or {}).get("confidence", 0.0)
    return {**parse, "intent": {"name": "out_of_scope", "confidence": confidence}}


def reply_for_parse(parse: dict[str, Any], context: Context | None = None) -> Reply:
    """What the bot answers to a parsed message, as far as the answer layer decides it.

    ``context``: what the answer right before was about (a follow-up is read in it).

    FAQ questions may be answered with a passage; messages DIET calls out of
    scope only with an FAQ (a new FAQ not in the model yet, or DIET torn), and a
    request for a diagnosis is always declined (actions/answers.py).
    """
    if question_read_as_stop(parse):  # with no booking open, as actions/answers.py reads it
        parse = as_unplaced(parse)
    intent = (parse.get("intent") or {}).get("name")
    text = parse.get("text") or ""
    if intent == URGENT_INTENT:
        return Reply("urgent")
    own = own_decision(parse) if intent in FOLLOWUP_INTENTS else None
    followup = followup_for(parse, context, own)
    if followup is not None:
        return followup
    if intent == FAQ_INTENT:
        reply = reply_for_decision(own, text)
        return reply if reply.kind != "fallback" else sentence_reply_for(text) or reply
    if intent in DECLINE_INTENTS:
        if is_diagnosis_request(text):
            return Reply("fallback")
        reply = reply_for_decision(own, text)
        return reply if reply.kind == "answer" else sentence_reply_for(text) or Reply("fallback")
    if intent in SMALLTALK_INTENTS:
        if context is not None and smalltalk_pointing_back(parse):
            unplaced = as_unplaced(parse)
            followup = followup_for(unplaced, context, own_decision(unplaced))
            if followup is not None:
                return followup
        return Reply("smalltalk")
    return Reply(intent or "none")
