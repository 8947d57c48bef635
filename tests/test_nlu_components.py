"""Custom NLU components: TriageOverride's out-of-domain check, the question mark, the FAQ classifier."""

from __future__ import annotations

from rasa.shared.nlu.constants import INTENT, INTENT_RANKING_KEY, INTENT_RESPONSE_KEY, TEXT
from rasa.shared.nlu.training_data.message import Message

from assistant import domain_model
from assistant.nlu_components import TriageOverride


def diet_says(text: str, ranking: list[tuple[str, float]]) -> Message:
    """A message as DIET leaves it, before TriageOverride."""
    intents = [{"name": name, "confidence": confidence} for name, confidence in ranking]
    return Message(data={TEXT: text, INTENT: intents[0], INTENT_RANKING_KEY: intents})


def processed(message: Message) -> Message:
    return TriageOverride().process([message])[0]


def test_an_everyday_request_diet_doubts_is_flagged_and_stays_out_of_scope():
    message = processed(diet_says("set my alarm for 6:30 tomorrow", [("out_of_scope", 0.6), ("faq", 0.4)]))
    assert message.get("out_of_domain_flagged") is True
    assert message.get(INTENT)["name"] == "out_of_scope"
    assert message.get(INTENT)["confidence"] >= domain_model.THRESHOLD


def test_a_clinic_question_diet_doubts_is_let_through_for_the_action_server():
    message = processed(diet_says("does a prp shot hurt much", [("out_of_scope", 0.6), ("faq", 0.4)]))
    assert message.get("out_of_domain_flagged") is False
    assert message.get(INTENT) == {"name": "out_of_scope", "confidence": 0.6}


def test_out_of_scope_diet_is_sure_of_is_not_checked():
    message = processed(diet_says("does a prp shot hurt much", [("out_of_scope", 0.95), ("faq", 0.05)]))
    assert message.get("out_of_domain_flagged") is None
    assert message.get(INTENT)["name"] == "out_of_scope"


def test_a_short_question_for_a_detail_diet_took_for_small_talk_is_read_as_out_of_scope():
    # "where they at?" after an answer about a study came back as a greeting (0.54).
    message = processed(diet_says("where they at?", [("greet", 0.54), ("faq", 0.3)]))
    assert message.get(INTENT)["name"] == "out_of_scope"
    # A greeting, thanks, or a question to the assistant itself stays small talk.
    for text, intent in (("hello there", "greet"), ("thanks so much!", "thanks"),
                         ("how old are you?", "capabilities"), ("where are you?", "bot_challenge")):
        assert processed(diet_says(text, [(intent, 0.9), ("faq", 0.1)])).get(INTENT)["name"] == intent


def test_the_classifiers_read_a_question_without_its_final_question_mark():
    import spacy

    from assistant.nlu_components import without_final_question_mark

    nlp = spacy.blank("en")
    assert [t.text for t in without_final_question_mark(nlp("what is PRP?"))] == ["what", "is", "PRP"]
    assert [t.text for t in without_final_question_mark(nlp("PRP ? ?"))] == ["PRP"]
    # A mark inside the text, or a text of marks alone, is left as it is.
    assert [t.text for t in without_final_question_mark(nlp("PRP? or prolo"))] == ["PRP", "?", "or", "prolo"]
    assert [t.text for t in without_final_question_mark(nlp("?"))] == ["?"]
    # With the pipeline's minimum, a short follow-up keeps the mark that makes it a question.
    assert [t.text for t in without_final_question_mark(nlp("how often?"), 4)] == ["how", "often", "?"]
    assert [t.text for t in without_final_question_mark(nlp("how often is PRP given?"), 4)][-1] == "given"


def faq_example(text: str, faq_id: str) -> Message:
    return Message(data={TEXT: text, INTENT: "faq", INTENT_RESPONSE_KEY: f"faq/{faq_id}"})


def test_the_faq_classifier_learns_the_phrasings_keeps_them_in_the_model_and_ranks_questions(tmp_path):
    from rasa.engine.storage.local_model_storage import LocalModelStorage
    from rasa.engine.storage.resource import Resource
    from rasa.shared.nlu.training_data.training_data import TrainingData

    from assistant.faq_model import RANKING_KEY
    from assistant.nlu_components import FaqClassifier

    phrasings = {
        "prp_what": ["what is PRP", "what is platelet rich plasma", "PRP what is it", "explain PRP injections"],
        "clinic_offices": ["where are your offices", "office address", "where is the clinic", "location of clinic"],
    }
    examples = [faq_example(text, faq_id) for faq_id, texts in phrasings.items() for text in texts]
    examples.append(Message(data={TEXT: "hello there", INTENT: "greet"}))  # not an FAQ: not learned
    storage, resource = LocalModelStorage(tmp_path), Resource("faq_classifier")
    FaqClassifier.create({}, storage, resource, None).train(TrainingData(examples))

    loaded = FaqClassifier.load({}, storage, resource, None)
    message = loaded.process([Message(data={TEXT: "whats platelet rich plasma?"})])[0]
    ranking = message.get(RANKING_KEY)
    assert [item["id"] for item in ranking] == ["prp_what", "clinic_offices"]
    assert ranking[0]["confidence"] > 0.5


def test_a_model_trained_without_faqs_adds_no_faq_ranking(tmp_path):
    from rasa.engine.storage.local_model_storage import LocalModelStorage
    from rasa.engine.storage.resource import Resource
    from rasa.shared.nlu.training_data.training_data import TrainingData

    from assistant.faq_model import RANKING_KEY
    from assistant.nlu_components import FaqClassifier

    storage, resource = LocalModelStorage(tmp_path), Resource("faq_classifier")
    FaqClassifier.create({}, storage, resource, None).train(TrainingData([faq_example("what is PRP", "prp_what")]))
    message = FaqClassifier.load({}, storage, resource, None).process([Message(data={TEXT: "what is PRP"})])[0]
    assert message.get(RANKING_KEY) is None
