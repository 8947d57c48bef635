"""The visitor-text tidying that the NLU pipeline applies before spaCy."""

from __future__ import annotations

import pytest
from rasa.shared.nlu.constants import TEXT
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData

from assistant.nlu_components import PunctuationRuns
from assistant.text import collapse_punctuation_runs


@pytest.mark.parametrize("typed,read", [
    ("is fusion my only option???", "is fusion my only option?"),
    ("help!!!", "help!"),
    ("SI belt, NSAIDs, physio... then what", "SI belt, NSAIDs, physio. then what"),
    ("really?!", "really?!"),          # two different marks stay
    ("is PRP safe?", "is PRP safe?"),
    ("2.5 mm, 3:30 pm", "2.5 mm, 3:30 pm"),
    ("", ""),
])
def test_a_run_of_one_mark_is_read_once(typed, read):
    assert collapse_punctuation_runs(typed) == read


def test_messages_are_tidied_and_training_phrasings_are_not():
    component = PunctuationRuns()
    message = Message({TEXT: "is prolotherapy painful???"})
    component.process([message])
    assert message.get(TEXT) == "is prolotherapy painful?"

    phrasing = Message({TEXT: "is si joint pain rare?? nobody ever mentions it", "intent": "faq"})
    component.process_training_data(TrainingData([phrasing]))
    assert phrasing.get(TEXT) == "is si joint pain rare?? nobody ever mentions it"


def test_a_message_without_text_is_left_alone():
    message = Message({"intent": "greet"})
    PunctuationRuns().process([message])
    assert message.get(TEXT) is None
