"""The visitor-text tidying that the NLU pipeline applies before spaCy."""

from __future__ import annotations

import pytest
from rasa.shared.nlu.constants import TEXT
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData

from assistant.nlu_components import FULL_TEXT, PunctuationRuns, QuestionFromDistress
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


def test_weariness_is_set_aside_and_the_question_classified():
    # Issue 28's check-in: the answer, then the 988 line; the classifiers read the question.
    message = Message({TEXT: "I'm worn down to nothing. How many prolo sessions would I need?"})
    QuestionFromDistress().process([message])
    assert message.get(TEXT) == "How many prolo sessions would I need?"
    assert message.get(FULL_TEXT) == "I'm worn down to nothing. How many prolo sessions would I need?"


def test_a_check_in_keeps_only_its_question_even_when_no_weariness_rule_matched():
    # The learned layer reads check-ins the rules' phrases miss; the story around
    # the question then pulled it to a decline ("nothing's ever going to work").
    from assistant.triage import without_distress

    typed = "Watching my dad go through this is wearing me down. What is PRP?"
    assert without_distress(typed, checkin=True) == "What is PRP?"
    assert without_distress("My MRI shows a bulging disc. Could it be the SI joint?") == (
        "My MRI shows a bulging disc. Could it be the SI joint?")


@pytest.mark.parametrize("typed", [
    "My surgeon says fusion. Is that my only option?",   # no weariness: the story is context
    "I'm so worn out.",                                    # nothing asked: nothing to classify apart
    "What is PRP?",
])
def test_messages_without_weariness_or_without_a_question_are_left_whole(typed):
    message = Message({TEXT: typed})
    QuestionFromDistress().process([message])
    assert message.get(TEXT) == typed and message.get(FULL_TEXT) is None


def test_triage_reads_the_whole_message_when_the_question_was_set_apart():
    from assistant.nlu_components import TriageOverride

    typed = "I can't take this anymore, I've written goodbye letters. How long does PRP last?"
    message = Message({TEXT: typed})
    QuestionFromDistress().process([message])
    TriageOverride().process([message])
    assert message.get("triage")["level"] == "crisis"
