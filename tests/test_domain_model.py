"""The out-of-domain detector: everyday requests to other assistants are declined,
the clinic's questions never are (texts written here, in none of its training files)."""

from __future__ import annotations

import json

import pytest

from assistant import domain_model
from assistant.text import phrase_key
from assistant.tools.evaluate_clinc import CLINC_TEST


@pytest.fixture(scope="module")
def model() -> domain_model.DomainModel:
    return domain_model.load_model()


EVERYDAY = [
    "remind me to buy milk on the way home",
    "what's the exchange rate between dollars and yen",
    "play something by the beatles",
    "how many calories are in a banana",
    "translate good night into german",
    "set my alarm for 6:30 tomorrow",
    "when is my credit card bill due",
]

CLINIC = [
    "does a prp shot hurt much",
    "my lower back hurts on one side only when I sit for long",
    "is there anything besides getting my si joint fused",
    "how soon could I get back to the gym after the injections",
    "I'd like to set up a visit with one of your doctors",
    "can you explain what the ligaments around the pelvis actually do",
    "my mom is 80, is she too old for this treatment",
    # Insurance questions naming a carrier get the out-of-network reply, not a decline.
    "is humana accepted",
    "do you accept blue cross blue shield insurance",
    "are you in network with cigna",
    "does the clinic take kaiser permanente",
]


def test_everyday_requests_are_out_of_domain(model):
    scores = model.out_of_domain(EVERYDAY)
    assert all(score >= domain_model.THRESHOLD for score in scores), list(zip(EVERYDAY, scores, strict=True))


def test_clinic_questions_stay_in_domain(model):
    scores = model.out_of_domain(CLINIC)
    assert all(score < domain_model.THRESHOLD for score in scores), list(zip(CLINIC, scores, strict=True))


def test_a_word_of_our_own_keeps_a_message_in_domain(model):
    """Travel and scheduling talk around "prolotherapy" must not decline it."""
    text = "I fly to Denver next Tuesday for a wedding, can I still have prolotherapy on Monday"
    assert "prolotherapi" in model.domain_terms
    assert model.out_of_domain([text]) == [0.0]


def test_everyday_examples_never_include_clinc_test_queries():
    data = json.loads(CLINC_TEST.read_text(encoding="utf-8"))
    test = {phrase_key(text) for text, _ in [*data["test"], *data["oos_test"]]}
    train = {phrase_key(text) for text in domain_model.everyday_requests()}
    assert len(train) > 10_000
    assert not train & test


def test_both_text_models_score_exactly_as_scikit_learn_would(model) -> None:
    """The part-by-part scoring (assistant/text_model.py) is only faster, never different."""
    import numpy as np

    from assistant import red_flag_model

    texts = [*EVERYDAY, *CLINIC, "I can't feel my legs and I wet myself", "", "Ｆｕｌｌ width", "x" * 3000]
    for classifier in (model, red_flag_model.load_model()):
        fast = classifier.probabilities(texts)
        reference = classifier.classifier.predict_proba(classifier._features(texts))
        assert fast.shape == reference.shape == (len(texts), len(classifier.classes))
        assert np.allclose(fast, reference, rtol=0, atol=1e-9)
