"""Red flags are recognised with high recall, even buried in ordinary questions.

These cases are written separately from tests/eval/heldout.yml (which
`make eval` measures) so the rules are checked on two independent sets.
"""

from __future__ import annotations

import pytest

from assistant.faq import load_faqs
from assistant.triage import DIAGNOSIS, EMPTY, NO_WORDS, TOO_LONG, URGENT, triage

URGENT_CASES = {
    "I lost control of my bladder this morning": "bladder_bowel",
    "is prolotherapy painful? also I've had some bowel accidents since my back went out": "bladder_bowel",
    "I can't pee and my lower back is killing me": "bladder_bowel",
    "new incontinence along with sacroiliac pain": "bladder_bowel",
    "my groin feels numb since yesterday, is that the SI joint?": "saddle_numbness",
    "numbness between my legs when I sit on the toilet": "saddle_numbness",
    "what does PRP cost? my inner thighs have gone completely numb": "saddle_numbness",
    "my leg is getting weaker by the hour": "leg_weakness",
    "suddenly my right leg gave out and I can't lift my foot": "leg_weakness",
    "I think I have foot drop after my fusion": "leg_weakness",
    "lower back pain and a fever of 102": "fever",
    "SI joint hurts and I've had chills all night": "fever",
    "I was in a car accident last week and now my SI joint hurts": "trauma",
    "fell off a ladder, now my hip and back hurt": "trauma",
    "after a bad fall on ice my tailbone area is sore": "trauma",
    "I have chest pain and my back hurts": "chest_pain",
    "crushing pressure in my chest while reading about fusion": "chest_pain",
    "the pain is so bad I want to kill myself": "self_harm",
    "honestly I don't want to live anymore with this pain": "self_harm",
    "I've been thinking about suicide": "self_harm",
}

ORDINARY = [
    "what is prolotherapy",
    "does the pain go into the groin?",
    "numbness down the leg from the SI joint",
    "is fusion surgery my only option?",
    "how many treatments will I need",
    "I'm afraid surgery will fail",
    "my hip hurts when I stand up from a chair",
    "what does the VA study say about prolotherapy",
]


@pytest.mark.parametrize("text,flag", URGENT_CASES.items())
def test_red_flags_are_recognised(text, flag):
    result = triage(text)
    assert result.kind == URGENT
    assert flag in {f.id for f in result.flags}


@pytest.mark.parametrize("text", ORDINARY)
def test_ordinary_questions_are_not_flagged(text):
    assert triage(text).kind is None


def test_no_faq_training_phrasing_raises_a_false_alarm():
    alarms = [p for faq in load_faqs() for p in faq.phrasings if triage(p).kind == URGENT]
    assert alarms == []


def test_self_harm_gets_crisis_advice_and_others_emergency_advice():
    assert triage("I want to end my life").advice == "crisis"
    assert triage("I can't control my bowels").advice == "emergency"


def test_a_red_flag_buried_in_a_huge_message_still_wins():
    text = "my back hurts. " * 2000 + "and I have lost bladder control"
    assert triage(text).kind == URGENT


@pytest.mark.parametrize("text,kind", [
    ("", EMPTY), ("   \n\t ", EMPTY), (None, EMPTY),
    ("x" * 20_000, TOO_LONG),
    ("🙂🙂🙂", NO_WORDS), ("!!! ???", NO_WORDS), ("<>{}[]", NO_WORDS),
])
def test_unusable_input_is_classified(text, kind):
    assert triage(text).kind == kind


@pytest.mark.parametrize("text", ["708-555-0123", "(239) 308 4701", "12345"])
def test_numbers_alone_are_usable_input(text):
    # A phone number typed into the booking form must reach the form.
    assert triage(text).kind is None


@pytest.mark.parametrize("text", [
    "do I have SI joint dysfunction? here is my MRI: L4-L5 bulge",
    "can you read my x-ray report please",
    "Here's my MRI report, what does it mean",
])
def test_requests_to_diagnose_or_read_scans_are_recognised(text):
    assert triage(text).kind == DIAGNOSIS


def test_no_faq_phrasing_is_taken_for_a_diagnosis_request():
    assert [p for faq in load_faqs() for p in faq.phrasings if triage(p).kind == DIAGNOSIS] == []
