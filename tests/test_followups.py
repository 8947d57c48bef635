"""Follow-up questions read in the context of the answer before (assistant/answering/followups.py)."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
from rasa_sdk import Tracker
from rasa_sdk.executor import CollectingDispatcher

from actions.answers import ActionAnswerFaq, ActionOutOfScope, last_answer_context
from actions.booking import ActionCancelBooking
from assistant.answering.followups import Context, followup_reply, stands_alone
from assistant.routing import ANSWER, FALLBACK, Decision

UNPLACED = Decision(FALLBACK, None, 0.0)
HAUSER = Context("what did the 2009 prolotherapy study find", "study_hauser_2009")


def user(text: str) -> dict[str, Any]:
    return {"event": "user", "text": text}


def bot(kind: str, **custom: Any) -> dict[str, Any]:
    return {"event": "bot", "text": "...", "data": {"custom": {"kind": kind, **custom}}}


def tracker(events: list[dict[str, Any]], text: str, intent: str = "faq",
            ranking: tuple[tuple[str, float], ...] = ()) -> Tracker:
    latest = {"text": text, "intent": {"name": intent, "confidence": 0.9}, "entities": [],
              "response_selector": {"faq": {"ranking": [
                  {"intent_response_key": f"faq/{t}", "confidence": c} for t, c in ranking]}}}
    return Tracker("visitor", {}, latest, [*events, user(text)], False, None, {}, "action_listen")


def run(action, events, text, **kwargs) -> dict[str, Any]:
    dispatcher = CollectingDispatcher()
    asyncio.run(action.run(dispatcher, tracker(events, text, **kwargs), {}))
    [payload] = [m["custom"] for m in dispatcher.messages if m.get("custom", {}).get("kind") != "checkin"]
    return payload


AFTER_HAUSER = [user(HAUSER.question), bot("answer", topic="study_hauser_2009")]


@pytest.mark.parametrize(("question", "detail"), [
    ("did they stop their pain meds?", "completely stop taking pain medications"),
    ("and were any of them told there were no other options?", "no other treatment options"),
    # A kind of detail (assistant.answering.details): a duration, from the sentence about the same study.
    ("how long had they been in pain?", "four years and ten months"),
])
def test_a_follow_up_is_answered_from_the_answer_before_with_the_detail_asked(question, detail):
    reply = followup_reply(question, UNPLACED, HAUSER)
    assert reply is not None and reply.topic == "study_hauser_2009"
    assert detail in reply.sources[0]["quote"]
    assert reply.extra["followup_to"] == {"question": HAUSER.question, "topic": "study_hauser_2009"}


def test_a_question_with_its_own_subject_stands_alone():
    own = Decision(ANSWER, "radiofrequency_ablation", 0.9)
    assert followup_reply("is radiofrequency ablation a good option for SI joint pain?", own, HAUSER) is None


def test_what_about_another_subject_answers_that_subject():
    own = Decision(ANSWER, "prp_what", 0.7)
    reply = followup_reply("what about PRP instead?", own, HAUSER)
    assert reply is not None and reply.topic == "prp_what"


def test_words_that_point_back_or_carry_on_make_a_follow_up():
    assert not stands_alone("which journal was that in?", UNPLACED, HAUSER)
    assert not stands_alone("and the fax number?", UNPLACED, HAUSER)
    assert stands_alone("how long is the recovery after a fusion of the sacroiliac joint?", UNPLACED, HAUSER)


def test_the_context_is_the_previous_answer_and_ends_after_anything_else():
    assert last_answer_context(tracker(AFTER_HAUSER, "how many patients?")) == HAUSER
    with_checkin = [*AFTER_HAUSER, bot("checkin", call="988")]
    assert last_answer_context(tracker(with_checkin, "how many patients?")) == HAUSER
    for other in ("fallback", "urgent", "booking", "smalltalk", "clarify"):
        events = [user("something"), bot(other)]
        assert last_answer_context(tracker(events, "how many patients?")) is None, other
    assert last_answer_context(tracker([], "how many patients?")) is None


def test_the_action_answers_a_follow_up_the_classifiers_call_out_of_scope():
    payload = run(ActionOutOfScope(), AFTER_HAUSER, "did they stop their pain meds?", intent="out_of_scope")
    assert (payload["kind"], payload["topic"]) == ("answer", "study_hauser_2009")
    assert "completely stop taking pain medications" in payload["sources"][0]["quote"]
    assert payload["followup_to"]["topic"] == "study_hauser_2009"


def test_a_follow_up_diet_reads_as_stop_is_answered_when_no_booking_is_open():
    # The word "stop" gives DIET its everyday intent; the rules send it to the cancel action.
    payload = run(ActionCancelBooking(), AFTER_HAUSER, "did they stop their pain meds?", intent="stop")
    assert (payload["kind"], payload["topic"]) == ("answer", "study_hauser_2009")
    assert "completely stop taking pain medications" in payload["sources"][0]["quote"]


@pytest.mark.parametrize("text", ["stop", "never mind", "can you cancel that?", "stop it"])
def test_a_request_to_stop_is_still_a_request_to_stop(text):
    payload = run(ActionCancelBooking(), AFTER_HAUSER, text, intent="stop")
    assert payload["kind"] == "smalltalk"


def test_without_an_answer_before_the_same_message_is_declined():
    after_decline = [user("what's the weather"), bot("fallback")]
    payload = run(ActionAnswerFaq(), after_decline, "did they stop their pain meds?", ranking=(("prp_what", 0.05),))
    assert payload["kind"] != "answer" or "followup_to" not in payload


def test_a_request_for_a_diagnosis_is_never_read_as_a_follow_up():
    payload = run(ActionOutOfScope(), AFTER_HAUSER, "can you read my MRI and tell me if that's it?",
                  intent="out_of_scope")
    assert payload["kind"] == "fallback"


def test_after_a_topic_button_the_context_question_is_the_topics_title():
    events = [user('/choose_topic{"topic": "study_hauser_2009"}'), bot("answer", topic="study_hauser_2009")]
    context = last_answer_context(tracker(events, "how many patients?"))
    assert context == Context("Caring Medical's 2009 prolotherapy study", "study_hauser_2009")


def test_staff_see_what_an_answer_was_read_as_a_follow_up_to(make_console, db_url):
    import json
    import time

    from sqlalchemy import insert

    from assistant import chat_sessions
    from assistant.store import get_engine, tracker_events, tracker_metadata
    from tests.test_feedback import signed_in

    app = make_console(accounts=(("alice", "admin"),), csrf=True)
    conversation_id, _ = chat_sessions.issue()
    first = "what did the 2009 study find? <b>bold</b>"
    followup = {"kind": "answer", "topic": "study_hauser_2009", "answer": "An answer.", "sources": [],
                "followup_to": {"question": first, "topic": "study_hauser_2009"}}
    now = time.time()
    with get_engine(db_url).begin() as connection:
        tracker_metadata.create_all(connection)
        connection.execute(insert(tracker_events), [
            {"sender_id": conversation_id, "type_name": "user", "timestamp": now + i,
             "data": json.dumps({"event": "user", "text": text})} if kind == "user" else
            {"sender_id": conversation_id, "type_name": "bot", "timestamp": now + i,
             "data": json.dumps({"event": "bot", "text": "...", "data": {"custom": text}})}
            for i, (kind, text) in enumerate([
                ("user", first), ("bot", {"kind": "answer", "topic": "study_hauser_2009", "sources": []}),
                ("user", "how many patients?"), ("bot", followup)])])
    page = signed_in(app).get(f"/staff/conversations/{conversation_id}").get_data(as_text=True)
    assert "Read as a follow-up to: “what did the 2009 study find? &lt;b&gt;bold&lt;/b&gt;”" in page


def test_after_a_sentence_answer_a_follow_up_is_answered_from_around_that_sentence():
    from assistant.answering.quotes import index_for
    from assistant.knowledge import get_article

    index = index_for(get_article(None))
    first = next(s for s in index.sentences if "100 consecutive patients" in s.text)
    events = [user("how many records did the German doctors analyze"),
              bot("answer", topic="passage", sentence={"article": first.article, "number": first.number})]
    context = last_answer_context(tracker(events, "how many needed medical attention?"))
    assert context == Context("how many records did the German doctors analyze", "passage", first.number)
    reply = followup_reply("how many of them needed medical attention?", UNPLACED, context)
    assert reply is not None and "22 patients required medical attention" in reply.sources[0]["quote"]
    assert reply.sources[0]["citation"] == get_article(None).references[6]


def test_a_follow_up_asking_how_many_gets_the_study_sentence_with_the_number():
    """The FAQ on how common SI pain is cites the Steadman study; its size is in a sentence of its own."""
    context = Context("how common is true SI joint pain according to the Steadman study", "how_common_si_pain")
    reply = followup_reply("how many patients took part?", UNPLACED, context)
    assert reply is not None and "124 patients" in reply.sources[0]["quote"]


def test_the_kind_of_detail_asked_is_read_from_the_question():
    from assistant.answering.details import asked_details, detail_factor

    assert [d.name for d in asked_details("how many patients were in it?")] == ["count"]
    assert [d.name for d in asked_details("where was that study done?")] == ["place"]
    assert [d.name for d in asked_details("how long had they been in pain?")] == ["duration"]
    assert asked_details("does prolotherapy hurt?") == ()
    count = asked_details("how many?")
    assert detail_factor(count, "124 patients took part") > detail_factor(count, "patients took part") == 1.0


PRP_OR_STEROIDS = Context("is PRP better than cortisone shots?", "prp_vs_steroids")


@pytest.mark.parametrize("question", ["does it hurt?", "how long does the injection last?"])
def test_a_follow_up_that_could_mean_either_of_two_treatments_asks_which(question):
    from assistant.answering.followups import which_one

    reply = which_one(question, PRP_OR_STEROIDS)
    assert reply is not None and reply.kind == "clarify"
    assert reply.text == "Do you mean PRP or a steroid injection?"
    assert [("PRP" in q, "steroid injection" in q) for q in reply.options] == [(True, False), (False, True)]


@pytest.mark.parametrize("question", [
    "which one lasts longer?",  # about both
    "who wrote it?",  # about the source
    "does PRP hurt?",  # names one
    "how many patients did they treat?",  # the study's patients
])
def test_no_which_question_when_the_follow_up_is_clear(question):
    from assistant.answering.followups import which_one

    assert which_one(question, PRP_OR_STEROIDS) is None


def test_no_which_question_after_an_answer_about_one_treatment():
    from assistant.answering.followups import which_one

    assert which_one("does it hurt?", Context("what is prolotherapy", "prolotherapy_what")) is None


def test_the_action_offers_one_button_per_treatment_with_the_question_named():
    events = [user(PRP_OR_STEROIDS.question), bot("answer", topic="prp_vs_steroids")]
    dispatcher = CollectingDispatcher()
    asyncio.run(ActionAnswerFaq().run(dispatcher, tracker(events, "does it hurt?"), {}))
    [message] = dispatcher.messages
    assert message["custom"]["kind"] == "clarify"
    assert [b["title"] for b in message["buttons"]] == ["PRP", "a steroid injection"]
    assert [b["payload"] for b in message["buttons"]] == ["does PRP hurt?", "does a steroid injection hurt?"]



def test_the_answer_to_a_which_one_question_is_read_in_the_context_of_the_answer_before():
    """A click on "PRP" sends "does PRP hurt?": still a follow-up of the answer about PRP vs steroids."""
    which = {"kind": "clarify", "subjects": ["PRP", "a steroid injection"],
             "followup_to": {"question": PRP_OR_STEROIDS.question, "topic": "prp_vs_steroids"}}
    events = [user(PRP_OR_STEROIDS.question), bot("answer", topic="prp_vs_steroids"),
              user("does it hurt?"), bot("clarify", **{k: v for k, v in which.items() if k != "kind"})]
    assert last_answer_context(tracker(events, "does PRP hurt?")) == PRP_OR_STEROIDS
    # Any other clarifying question (which FAQ was meant) still ends the context.
    other = [*events[:3], bot("clarify", options=[{"topic": "prp_what"}])]
    assert last_answer_context(tracker(other, "does PRP hurt?")) is None


def test_a_short_question_about_a_study_that_names_none_is_a_follow_up():
    """ "How many patients took part?" resembles the FAQ on how many treatments; after a study it asks about that study."""
    context = Context("how common is true SI joint pain according to the Steadman study", "how_common_si_pain")
    resembles = Decision(ANSWER, "number_of_treatments", 0.8)
    assert not stands_alone("How many patients took part?", resembles, context)
    reply = followup_reply("How many patients took part?", resembles, context)
    assert reply is not None and "124 patients" in reply.sources[0]["quote"]
    # Naming a study of its own (a place, a year) makes it a question of its own.
    german = Decision(ANSWER, "pain_after_decompression", 0.8)
    assert stands_alone("How many patients did the German study look at?", german, context)
    assert stands_alone("How many patients were in the 2009 study?", german, context)


def test_a_question_naming_the_study_just_discussed_is_a_follow_up_when_it_would_be_declined_alone():
    """After the German study, "the German doctors" names that study ("Germany"), not a new question."""
    context = Context("Can lumbar decompression surgery cause new SI joint pain?", "pain_after_decompression")
    assert not stands_alone("how many patients did the German doctors look at?", UNPLACED, context)
    # Another study named, or one named with no answer before about it: a question of its own.
    assert stands_alone("how many patients did the Japanese doctors look at?", UNPLACED, context)
    assert stands_alone("how many patients did the German doctors look at?", UNPLACED, HAUSER)


def test_what_about_something_the_answer_before_speaks_of_stays_with_that_answer():
    """ "What about pulsed radiofrequency instead?" after the Pain Physician grades: that paper grades it too."""
    context = Context("how did the Pain Physician paper rate cooled radiofrequency neurotomy?",
                      "injection_evidence_grades")
    own = Decision(ANSWER, "radiofrequency_ablation", 0.8)
    reply = followup_reply("what about pulsed radiofrequency instead?", own, context)
    assert reply is not None and reply.topic == "injection_evidence_grades"
    assert "The evidence for pulsed radiofrequency is poor." in reply.sources[0]["quote"]


def test_a_follow_up_asking_where_gets_the_whole_sentence_when_the_quote_cut_the_place_off():
    """The FAQ quotes "researchers looked at ..."; the sentence it is cut from names the Steadman Clinic."""
    context = Context("What did the Clinical Spine Surgery study find?", "how_common_si_pain")
    reply = followup_reply("which research center did that come out of?", UNPLACED, context)
    assert reply is not None and "Steadman Philippon Research Institute" in reply.sources[0]["quote"]
    assert len({s["quote"] for s in reply.sources}) == len(reply.sources)


def test_a_place_is_held_by_a_capitalised_name_or_an_institution_not_by_any_preposition():
    from assistant.answering.details import asked_details, detail_factor

    where = asked_details("where was it done?")
    assert detail_factor(where, "doctors in Arizona found") > 1
    assert detail_factor(where, "at the Steadman Clinic") > 1
    assert detail_factor(where, "researchers looked at the reported incidence") == 1.0


def test_and_with_a_study_the_answer_before_never_named_stands_alone():
    """ "ok and what did the 2017 Colorado paper say?" after the Steadman study is a question of its own."""
    context = Context("how common is true SI joint pain according to the Steadman study", "how_common_si_pain")
    assert stands_alone("ok and what did the 2017 colorado paper say about SI fusion?", UNPLACED, context)
    assert stands_alone("and what did the Japanese doctors find?", UNPLACED, context)
    # The study already discussed, or none named: still a follow-up.
    assert not stands_alone("and what did the Steadman people find?", UNPLACED, context)
    assert not stands_alone("and how many patients?", UNPLACED, context)


def test_which_journal_names_the_journal_of_the_study_the_answer_leads_with():
    """Not the neighbouring study's journal ("In the journal Clinical Medicine Insights.")."""
    context = Context("is SI joint pain actually rare?", "how_common_si_pain")
    reply = followup_reply("which journal was that in", UNPLACED, context)
    assert reply is not None and "journal of Clinical Spine Surgery" in reply.sources[0]["quote"]


def test_who_published_that_asks_about_the_study_the_answer_before_quoted_first():
    # The nerve-block FAQ quotes two studies; the answer before led with the
    # International Journal of Spine Surgery one (4), not the JAAOS one (7).
    from assistant.answering import context_after
    from assistant.answering.compose import faq_reply
    from assistant.faq import faq_index

    before = faq_reply(faq_index()["diagnostic_nerve_block"], None, question="how much relief do you need "
                       "from the block to qualify for fusion")
    context = context_after("how much relief do you need from the block to qualify for fusion", before)
    assert context is not None and context.study == before.sources[0]["ref"] == 4
    reply = followup_reply("who published that", UNPLACED, context)
    assert reply is not None and "International Journal of Spine Surgery" in reply.sources[0]["quote"]
    assert reply.extra["followup_to"]["study"] == 4
    other = followup_reply("who published that", UNPLACED, Context(context.question, context.topic, study=7))
    assert other is not None and "Journal of the American Academy" in other.sources[0]["quote"]


def test_the_action_reads_the_study_the_answer_before_cited_from_its_quotes():
    events = [user("how much relief do you need from the block"),
              bot("answer", topic="diagnostic_nerve_block",
                  sources=[{"quote": "...", "ref": None}, {"quote": "...", "ref": 4}])]
    context = last_answer_context(tracker(events, "who published that"))
    assert context is not None and context.study == 4


def test_a_short_question_about_the_answer_diet_reads_as_small_talk_is_a_follow_up():
    # "Why that one?" came back as "what can you do?" (capabilities, 0.64).
    from actions.conversation import ActionCapabilities

    payload = run(ActionCapabilities(), AFTER_HAUSER, "did they stop their pain meds?", intent="capabilities")
    assert (payload["kind"], payload["topic"]) == ("answer", "study_hauser_2009")
    # Asked for what it can do, or with no answer before, it says what it can do.
    assert run(ActionCapabilities(), AFTER_HAUSER, "what can you do?", intent="capabilities")["kind"] != "answer"
    assert run(ActionCapabilities(), [], "did they stop their pain meds?", intent="capabilities")["kind"] != "answer"


@pytest.mark.parametrize(("text", "intent", "read"), [
    ("where they at?", "greet", True),
    ("when was that printed", "thanks", True),
    ("how old", "capabilities", True),
    ("who done that study", "bot_challenge", True),
    ("how old are you?", "capabilities", False),  # to the assistant itself
    ("how are you?", "greet", False),  # asks no detail the article holds
    ("thanks!", "thanks", False),
    ("where they at?", "faq", False),  # only small talk is read again
])
def test_a_short_question_for_a_detail_is_not_small_talk(text, intent, read):
    from assistant.answering import detail_question_read_as_smalltalk

    assert detail_question_read_as_smalltalk({"text": text, "intent": {"name": intent}}) is read


def test_no_small_talk_training_phrasing_is_read_as_a_question_for_a_detail():
    from assistant.answering import SMALLTALK_INTENTS, detail_question_read_as_smalltalk
    from assistant.text_model import nlu_examples

    read = [(intent, text) for intent, texts in nlu_examples().items() if intent in SMALLTALK_INTENTS
            for text in texts if detail_question_read_as_smalltalk({"text": text, "intent": {"name": intent}})]
    assert read == []


@pytest.mark.parametrize(("context", "question", "detail"), [
    # The detail shares no word with the question: "how old?" and "average age 55 years".
    (Context("japan study 2017 on groin pain", "groin_pain", study=10), "how old",
     "average age 55 years"),
    (Context("whats that magic bullet paper", "fusion_critique_magic_bullet", study=5), "what year",
     "July 2017"),
])
def test_a_follow_up_asking_for_an_age_or_a_year_gets_the_sentence_of_the_study_that_holds_it(
        context, question, detail):
    reply = followup_reply(question, UNPLACED, context)
    assert reply is not None and detail in reply.sources[0]["quote"]


def test_a_question_declined_alone_that_the_study_just_quoted_reports_is_a_follow_up():
    # Right after the German decompression study: no pointing back, no study named, declined alone.
    context = Context("can lumbar decompression surgery cause SI joint pain", "pain_after_decompression", study=6)
    question = "how many needed medical attention for SI pain after?"
    reply = followup_reply(question, UNPLACED, context)
    assert reply is not None and "22 patients required medical attention" in reply.sources[0]["quote"]
    # Without a study quoted before, or with a question the study does not report, it stands alone.
    assert followup_reply(question, UNPLACED, Context(context.question, context.topic)) is None
    assert followup_reply("what is the best mattress for a bad back at night?", UNPLACED, context) is None
