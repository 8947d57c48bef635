"""A new FAQ served from the retrieval index before any model knows it (make retrain's first step).

The decision rule (assistant.routing.index_answer), which releases carry such
FAQs (assistant.served), and how a rollback takes them out again.
"""

from __future__ import annotations

import io
import json
import os
import tarfile
import time
from pathlib import Path

import pytest

from assistant import served
from assistant.routing import ANSWER, CLARIFY, FALLBACK, decide

NEW = frozenset({"demo_parking"})
KNOWN = {"demo_parking", "prp_what", "clinic_offices"}


class FixedRetriever:
    """Retrieval scores chosen by the test (BM25 itself is tested in test_retrieval.py)."""

    def __init__(self, scores: dict[str, float]):
        self._scores = scores

    def scores(self, text: str) -> dict[str, float]:
        return dict(self._scores) if text else {}


def parse(intent: str, ranking: list[tuple[str, float]] = (), triage_kind: str | None = None) -> dict:
    return {"text": "is there free parking at your office?",
            "intent": {"name": intent, "confidence": 0.9},
            "triage": {"kind": triage_kind},
            "response_selector": {"faq": {"ranking": [
                {"intent_response_key": f"faq/{t}", "confidence": c} for t, c in ranking]}}}


@pytest.mark.parametrize("intent", ["out_of_scope", "nlu_fallback", "faq"])
def test_a_clear_retrieval_hit_on_a_new_faq_is_answered_whatever_the_classifiers_said(intent):
    decision = decide(parse(intent, [("clinic_offices", 0.9)]), KNOWN,
                      retriever=FixedRetriever({"demo_parking": 0.8, "clinic_offices": 0.2}), index_topics=NEW)
    assert (decision.kind, decision.topic, decision.index_only) == (ANSWER, "demo_parking", True)


def test_a_weak_hit_leaves_the_decision_to_the_model():
    retriever = FixedRetriever({"demo_parking": 0.5, "clinic_offices": 0.5})
    assert decide(parse("out_of_scope"), KNOWN, retriever=retriever, index_topics=NEW).kind == FALLBACK
    decision = decide(parse("faq", [("clinic_offices", 0.9)]), KNOWN, retriever=retriever, index_topics=NEW)
    assert (decision.kind, decision.topic, decision.index_only) == (ANSWER, "clinic_offices", False)


def test_a_known_faq_on_top_of_retrieval_is_not_taken_for_the_new_one():
    retriever = FixedRetriever({"clinic_offices": 0.9, "demo_parking": 0.1})
    assert decide(parse("out_of_scope"), KNOWN, retriever=retriever, index_topics=NEW).kind == FALLBACK


@pytest.mark.parametrize("triage_kind", ["urgent", "diagnosis", "unusable"])
def test_red_flags_and_diagnosis_requests_are_never_answered_from_the_index(triage_kind):
    retriever = FixedRetriever({"demo_parking": 1.0})
    decision = decide(parse("out_of_scope", triage_kind=triage_kind), KNOWN, retriever=retriever,
                      index_topics=NEW)
    assert decision.kind == FALLBACK


@pytest.mark.parametrize("intent", ["greet", "book_appointment", "urgent_symptom", "handoff"])
def test_other_intents_keep_their_own_replies(intent):
    decision = decide(parse(intent), KNOWN, retriever=FixedRetriever({"demo_parking": 1.0}), index_topics=NEW)
    assert decision.kind == FALLBACK  # decide() declines; the dialogue never calls it for these


def test_without_index_faqs_nothing_changes():
    ranking = [("prp_what", 0.5), ("clinic_offices", 0.45)]
    retriever = FixedRetriever({"demo_parking": 1.0})
    assert decide(parse("faq", ranking), KNOWN, retriever=retriever).kind == CLARIFY
    assert decide(parse("out_of_scope"), KNOWN, retriever=retriever).kind == FALLBACK


def test_an_index_faq_removed_from_the_files_is_not_answered():
    decision = decide(parse("out_of_scope"), {"prp_what"}, retriever=FixedRetriever({"demo_parking": 1.0}),
                      index_topics=NEW)
    assert decision.kind == FALLBACK


def archive(path: Path, faq_ids: list[str]) -> Path:
    """A stand-in model archive with the metadata.json Rasa writes."""
    metadata = json.dumps({"domain": {"responses": {
        **{f"utter_faq/{i}": [{"text": "x"}] for i in faq_ids}, "utter_greet": [{"text": "hi"}]}}}).encode()
    with tarfile.open(path, "w:gz") as tar:
        info = tarfile.TarInfo("metadata.json")
        info.size = len(metadata)
        tar.addfile(info, io.BytesIO(metadata))
    time.sleep(0.02)
    os.utime(path)
    return path


def test_the_faqs_a_model_knows_come_from_its_domain(tmp_path):
    assert served.model_faq_ids(archive(tmp_path / "m.tar.gz", ["prp_what", "clinic_offices"])) == {
        "prp_what", "clinic_offices"}


def test_the_newest_release_decides_which_faqs_come_from_the_index_and_a_rollback_removes_them(tmp_path):
    from assistant.tools import training

    models = tmp_path / "models"
    models.mkdir()
    trained = archive(models / "20260101-000000-aaaaaaaaaaaa.tar.gz", ["prp_what"])
    assert served.index_faqs(models) == frozenset()
    index = archive(models / "20260102-000000-bbbbbbbbbbbb-index.tar.gz", ["prp_what"])
    (models / "registry.json").write_text(json.dumps({index.name: {"index_faqs": ["demo_parking"]}}))
    assert served.index_faqs(models) == NEW
    assert not training.trained_on(index, "bbbbbbbbbbbb")  # `make retrain` still trains it
    assert training.trained_on(trained, "aaaaaaaaaaaa")

    index.rename(tmp_path / index.name)  # what `make rollback` does (to models/retired/)
    assert served.index_faqs(models) == frozenset()


def test_an_unreadable_registry_serves_the_model_alone(tmp_path):
    models = tmp_path / "models"
    models.mkdir()
    archive(models / "20260101-000000-aaaaaaaaaaaa-index.tar.gz", [])
    (models / "registry.json").write_text("{half written")
    assert served.index_faqs(models) == frozenset()
