"""Accuracy on questions the model never saw, as a regression guard.

`make eval` prints the numbers against the product bars (in-scope 95%,
out-of-scope 90%, red flags 100%). Two from-scratch trainings on this machine
gave identical numbers, but in-scope is only one question above its bar and
TensorFlow does not promise the same floating point on other CPUs, so this test
guards a floor two points under the in-scope bar; the other two bars are
asserted as they are. docs/nlu.md has the measured numbers.
"""

from __future__ import annotations

import pytest

from assistant.evaluate import BARS, check_heldout_is_unseen, evaluate, latest_model, load_heldout, summarise


@pytest.fixture(scope="module")
def summary():
    return summarise(evaluate(latest_model()))


def test_heldout_questions_are_not_training_phrasings():
    assert check_heldout_is_unseen(load_heldout()) == []


def test_heldout_set_covers_every_topic_three_times_or_more():
    heldout = load_heldout()
    assert all(len(questions) >= 3 for questions in heldout["in_scope"].values())
    assert len(heldout["out_of_scope"]) >= 20 and len(heldout["red_flags"]) >= 20


FLOORS = {**BARS, "in_scope": BARS["in_scope"] - 0.02}


@pytest.mark.parametrize("group", FLOORS)
def test_accuracy_stays_at_or_above_its_floor(summary, group):
    assert summary["scores"][group] >= FLOORS[group], summary["scores"]
