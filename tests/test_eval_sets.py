"""The question sets `make eval` measures with: shape only, never their texts.

The sealed set (tests/sealed/questions) must stay big and complete enough to
measure every FAQ; its numbers are printed by `make eval`, never its texts.
"""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import pytest
import yaml

from assistant.faq import faq_index
from assistant.text import phrase_key
from assistant.tools.evaluate import SEALED_QUESTIONS, VISITORS_DEV, VISITORS_DEV_3, load_writer_sets


def raw(directory: Path) -> list[dict]:
    return [yaml.safe_load(p.read_text(encoding="utf-8")) for p in sorted(directory.glob("*.yml"))]


@pytest.mark.parametrize("directory", [SEALED_QUESTIONS, VISITORS_DEV], ids=["sealed", "visitors-dev"])
def test_six_writers_cover_every_faq_at_least_ten_times(directory):
    files = raw(directory)
    assert len({f["writer"] for f in files}) >= 6
    labels = Counter(item["faq"] for f in files for item in f["in_scope"])
    assert set(labels) == set(faq_index()), "every label is an FAQ id, and every FAQ is asked"
    assert min(labels.values()) >= 10
    assert sum(labels.values()) >= 400


@pytest.mark.parametrize("directory", [SEALED_QUESTIONS, VISITORS_DEV], ids=["sealed", "visitors-dev"])
def test_at_least_a_hundred_out_of_scope_half_of_them_near_misses(directory):
    outside = [item for f in raw(directory) for item in f["out_of_scope"]]
    assert len(outside) >= 100
    assert sum(bool(item.get("near_miss")) for item in outside) >= len(outside) // 2


def test_texts_identical_to_training_or_development_data_are_left_out():
    sets = load_writer_sets(SEALED_QUESTIONS)
    kept = sum(len(q) for s in sets.values() for q in s["in_scope"].values())
    kept += sum(len(s["out_of_scope"]) for s in sets.values())
    total = sum(len(f["in_scope"]) + len(f["out_of_scope"]) for f in raw(SEALED_QUESTIONS))
    assert kept + sum(s["excluded"] for s in sets.values()) == total
    assert kept >= 0.9 * total  # short keyword queries and everyday requests can coincide


def test_development_set_3_labels_faqs_and_holds_near_misses():
    """Four writers: in-scope questions from two, out-of-scope near-misses from two."""
    files = raw(VISITORS_DEV_3)
    assert len({f["writer"] for f in files}) >= 4
    labels = Counter(item["faq"] for f in files for item in f["in_scope"])
    assert set(labels) <= set(faq_index()) and len(labels) == len(faq_index())
    assert sum(labels.values()) >= 150
    outside = [item for f in files for item in f["out_of_scope"]]
    assert len(outside) >= 100 and all(item.get("near_miss") for item in outside)


def test_a_later_set_leaves_out_the_texts_of_earlier_open_sets():
    earlier = {phrase_key(item["text"]) for f in raw(VISITORS_DEV) for group in ("in_scope", "out_of_scope")
               for item in f[group]}
    sets = load_writer_sets(VISITORS_DEV_3)
    kept = [t for s in sets.values() for q in s["in_scope"].values() for t in q]
    kept += [t for s in sets.values() for t in s["out_of_scope"]]
    assert kept and not earlier & {phrase_key(t) for t in kept}
