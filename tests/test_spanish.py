"""Spanish, or English with Spanish mixed in: read through the English gloss, answered in English."""

from __future__ import annotations

from rasa.shared.nlu.constants import TEXT
from rasa.shared.nlu.training_data.message import Message

from assistant.answering.vocabulary import unknown_words
from assistant.nlu_components import FULL_TEXT, SpanishGloss
from assistant.spanish import READ_AS_SPANISH, english_reading, gloss, reads_as_spanish


def test_a_spanish_question_reads_as_spanish_and_english_ones_do_not():
    assert reads_as_spanish("cuantas veces necesito el tratamiento y cada cuanto tiempo?")
    assert reads_as_spanish("el dolor de mi espalda es muy fuerte, la prolotherapy sirve?")
    for english in ("VA study prolotherapy SI joint results", "can u tell me ya know if PRP works",
                    "is the SI joint the problem or the discs?", "I read about PRP para the SI joint"):
        assert not reads_as_spanish(english), english
        assert english_reading(english) is None


def test_the_gloss_puts_the_articles_words_in_and_keeps_the_question_mark():
    assert gloss("cuantas veces necesito el tratamiento y cada cuanto tiempo?") == \
        "how many times need the treatment and how often?"
    # Phrases before words, accents ignored, shared terms kept, Spanish function words dropped.
    assert gloss("¿La cirugía de fusión es la única opción para mi dolor de espalda?") == \
        "the fusion surgery the only option for back pain?"
    assert "prolotherapy" in gloss("cuantas sesiones de prolotherapy necesito")


def test_the_pipeline_classifies_the_gloss_and_the_triage_reads_the_message_as_typed():
    typed = "cuantas inyecciones de PRP necesito para el dolor de cadera?"
    message = SpanishGloss().process([Message(data={TEXT: typed})])[0]
    assert message.get(TEXT) == "how many injections of prp need for the pain of hip?"
    assert message.get(FULL_TEXT) == typed
    assert message.get(READ_AS_SPANISH) is True
    english = SpanishGloss().process([Message(data={TEXT: "how many PRP injections do I need?"})])[0]
    assert english.get(TEXT) == "how many PRP injections do I need?"
    assert english.get(FULL_TEXT) is None and english.get(READ_AS_SPANISH) is None


def test_spanish_words_and_courtesy_are_known_words_but_other_subjects_are_not():
    assert unknown_words("Excuse my ignorance, what is the sacrum and what is the ilium?") == []
    assert unknown_words("is possible evitar the cirugía with prolotherapy?") == []
    assert unknown_words("how many had pain of the cadera (hip)?") == []
    assert unknown_words("can I drink alcohol after prolo shots?") == ["drink", "alcohol"]


def test_a_spanish_question_takes_two_words_nothing_here_knows_to_lose_its_faq_answer():
    from assistant.answering import decision_for

    def parse(text: str) -> dict:
        return {"text": text, READ_AS_SPANISH: True,
                "intent": {"name": "faq", "confidence": 0.95}, "intent_ranking": [{"name": "faq", "confidence": 0.95}],
                "response_selector": {"faq": {"ranking": [
                    {"intent_response_key": "faq/recovery_after_treatment", "confidence": 0.9}]}}}

    # The gloss of "despues de la prolo cuantos dias descanso, lo entrevistan?": one word it left in Spanish.
    assert unknown_words("after prolo how many days rest entrevistan?") == ["entrevistan"]
    assert decision_for(parse("after prolo how many days rest entrevistan?")).kind == "answer"
    assert decision_for(parse("after prolo can I drink alcohol?")).kind == "fallback"
    english = {**parse("after prolo how many days rest entrevistan?"), READ_AS_SPANISH: None}
    assert decision_for(english).kind == "fallback"  # an English question: one is enough
