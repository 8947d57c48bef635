"""End to end through Rasa's REST channel, with the real servers and model."""

from __future__ import annotations

import json
import sqlite3
import uuid

import pytest
import requests

from assistant.knowledge import get_article
from assistant.text import collapse_space


def answer_of(bot, text: str) -> dict:
    return bot.custom(bot.send(text))


@pytest.mark.parametrize("question,topic", [
    ("is fusion surgery really my only option?", "fusion_only_option"),
    ("what is prolotherapy", "prolotherapy_what"),
    ("how does PRP compare with a steroid shot?", "prp_vs_steroids"),
    ("where are your offices", "clinic_offices"),
])
def test_faq_questions_are_answered_with_quote_and_citation(bot, question, topic):
    payload = answer_of(bot, question)
    assert payload["kind"] == "answer", payload
    assert payload["topic"] == topic
    article = get_article()
    assert payload["sources"]
    for source in payload["sources"]:
        assert collapse_space(source["quote"]) in article.normalised
        assert source["ref"] is None or source["citation"] == article.references[source["ref"]]


def test_every_reply_has_a_kind(bot):
    sender = uuid.uuid4().hex
    for text in ["hi", "what can you do", "are you a bot?", "thanks", "bye", "talk to a person"]:
        messages = bot.send(text, sender)
        assert messages, text
        assert bot.custom(messages)["kind"] in {"smalltalk", "handoff"}, text


def test_red_flag_buried_in_a_question_gets_urgent_care_first(bot):
    messages = bot.send("how many prolotherapy sessions do people need? since this morning "
                        "I can't control my bladder")
    assert bot.custom(messages)["kind"] == "urgent"
    assert "911" in messages[0]["text"]


def test_out_of_scope_is_declined_not_answered(bot):
    payload = answer_of(bot, "how much does a knee replacement cost")
    assert payload["kind"] == "fallback"
    assert "sources" not in payload


@pytest.mark.parametrize("text", [
    "how do I say good morning in japanese",
    "set a timer for the pasta, twelve minutes",
    "what's the weather going to be like this weekend",
    "can you book me a table for two at an italian place tonight",
])
def test_everyday_requests_to_other_assistants_are_declined(bot, text):
    """The out-of-domain detector (assistant/domain_model.py) in the real pipeline:
    no article quote and no booking form for a request that is not about the clinic."""
    payload = answer_of(bot, text)
    assert payload["kind"] == "fallback", payload
    assert "sources" not in payload


@pytest.mark.parametrize("text", [
    "", "   ", "x" * 20_000, "🙂🙂🙂🔥", "¿Cuál es el tratamiento para la articulación sacroilíaca?",
    "<script>alert(1)</script>", "<img src=x onerror=alert(1)>", "\x00\x01\x02 binary",
])
def test_hostile_or_odd_input_gets_a_reply_and_the_conversation_goes_on(bot, text):
    sender = uuid.uuid4().hex
    messages = bot.send(text, sender)
    assert messages, f"no reply to {text[:30]!r}"
    assert bot.custom(messages)["kind"] in {"fallback", "answer", "clarify", "smalltalk"}
    follow_up = bot.custom(bot.send("what is prolotherapy", sender))
    assert follow_up["kind"] == "answer" and follow_up["topic"] == "prolotherapy_what"


def test_conversations_are_stored_in_the_sqlite_tracker_store(bot):
    sender = uuid.uuid4().hex
    bot.send("what is PRP?", sender)
    with sqlite3.connect(bot.db_path) as db:
        rows = db.execute("select type_name, data from events where sender_id = ?", (sender,)).fetchall()
    types = [row[0] for row in rows]
    assert "user" in types and "bot" in types
    assert any("what is PRP?" in row[1] for row in rows)


@pytest.mark.parametrize("text", [
    "honestly this pain makes me not want to live anymore",
    "sometimes I think about ending it all because of the pain",
])
def test_indirect_suicidal_words_get_the_crisis_line_first(bot, text):
    messages = bot.send(text, uuid.uuid4().hex)
    payload = bot.custom(messages)
    assert payload["kind"] == "urgent" and payload["call"] == "988", payload
    assert payload["flags"] == ["self_harm"]
    assert messages[0]["text"].index("988") < messages[0]["text"].index("911")
    assert "cancelled" not in messages[0]["text"]


def test_the_learned_layer_reaches_the_reply_through_the_server(bot):
    # No rule matches these words; only the classifier in the NLU pipeline does.
    messages = bot.send("I've made my peace, I don't think I'll be around much longer with this back",
                        uuid.uuid4().hex)
    payload = bot.custom(messages)
    assert payload["kind"] == "urgent" and payload["call"] == "988", payload


def test_never_mind_with_no_booking_open_does_not_talk_of_a_booking(bot):
    sender = uuid.uuid4().hex
    bot.send("what is prolotherapy", sender)
    messages = bot.send("never mind", sender)
    assert bot.custom(messages)["kind"] == "smalltalk"
    assert "booking" not in messages[0]["text"].lower()


def test_an_oversize_body_is_refused_before_it_reaches_the_bot(bot):
    body = b'{"sender": "big", "message": "' + b"a" * 2_000_000 + b'"}'
    response = requests.post(f"{bot.url}/webhooks/rest/webhook", data=body, timeout=60,
                             headers={"Content-Type": "application/json"})
    assert response.status_code == 413


def test_a_very_long_message_is_cut_before_nlu_and_stored_cut(bot):
    sender = uuid.uuid4().hex
    text = ("is fusion my only option? " * 3000).strip()  # 77,999 characters
    payload = bot.custom(bot.send(text, sender))
    assert payload["kind"] == "fallback" and payload["reason"] == "too_long"
    with sqlite3.connect(bot.db_path) as db:
        row = db.execute("SELECT data FROM events WHERE sender_id = ? AND type_name = 'user'",
                         (sender,)).fetchone()
    event = json.loads(row[0])
    assert len(event["text"]) == 20_000
    assert event["metadata"]["truncated_from"] == len(text)


def test_repeated_question_marks_get_the_answer_and_are_stored_as_typed(bot):
    sender = uuid.uuid4().hex
    payload = bot.custom(bot.send("is fusion surgery really my only option???", sender))
    assert payload["kind"] == "answer" and payload["topic"] == "fusion_only_option", payload
    with sqlite3.connect(bot.db_path) as db:
        texts = [json.loads(row[0]).get("text") for row in db.execute(
            "select data from events where sender_id = ? and type_name = 'user'", (sender,))]
    assert texts == ["is fusion surgery really my only option???"]


def test_a_follow_up_is_answered_in_the_context_of_the_answer_before(bot):
    """Issue 30: the action server reads the context from the conversation's events."""
    sender = uuid.uuid4().hex
    first = bot.custom(bot.send("what did Caring Medical's 2009 prolotherapy study find?", sender))
    assert (first["kind"], first["topic"]) == ("answer", "study_hauser_2009"), first
    # DIET cannot place it (nlu_fallback): read as a follow-up by the out-of-scope action
    followup = bot.custom(bot.send("were they able to come off their pain meds?", sender))
    assert (followup["kind"], followup["topic"]) == ("answer", "study_hauser_2009"), followup
    assert "completely stop taking pain medications" in followup["sources"][0]["quote"]
    assert followup["followup_to"]["topic"] == "study_hauser_2009"


def test_no_follow_up_after_a_decline(bot):
    sender = uuid.uuid4().hex
    assert bot.custom(bot.send("how much does a knee replacement cost", sender))["kind"] == "fallback"
    payload = bot.custom(bot.send("were they able to come off their pain meds?", sender))
    assert "followup_to" not in payload
