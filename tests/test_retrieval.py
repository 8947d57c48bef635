"""Lexical retrieval over the FAQ source, and how it re-ranks the selector."""

from __future__ import annotations

import pytest

from assistant.faq import load_faqs
from assistant.retrieval import FaqRetriever, default_retriever, tokens
from assistant.routing import ANSWER, CLARIFY, blend, decide


def parse(ranking: list[tuple[str, float]], text: str) -> dict:
    return {
        "text": text,
        "intent": {"name": "faq", "confidence": 0.9},
        "response_selector": {"faq": {"ranking": [
            {"intent_response_key": f"faq/{topic}", "confidence": conf} for topic, conf in ranking
        ]}},
    }


def top(scores: dict[str, float]) -> str:
    return max(scores, key=scores.get)


def test_words_meet_at_their_stem():
    assert tokens("Injections injected") == ["inject", "inject"]
    assert tokens("what is it") == []  # stop words only


@pytest.mark.parametrize(("query", "topic"), [
    # Authors and journal of reference 1, in no phrasing: only the reference line has them.
    ("DePhillipo and Corenman paper", "how_common_si_pain"),
    ("sacrotuberous sacrospinous iliolumbar ligaments", "whole_ligament_complex"),
    ("chonnam university prolotherapy study", "study_korean_rct_2010"),
])
def test_article_words_find_their_faq(query, topic):
    scores = default_retriever().scores(query)
    assert top(scores) == topic
    assert sum(scores.values()) == pytest.approx(1.0)


@pytest.mark.parametrize("query", ["", "   ", "\x00\x01\ufffd", "<p></p> !!! ???",
                                   "what is the weather in paris"])
def test_nothing_to_match_gives_no_scores(query):
    assert default_retriever().scores(query) == {}


def test_a_huge_message_is_scored_on_its_first_words():
    scores = default_retriever().scores("chonnam university " * 5000)
    assert top(scores) == "study_korean_rct_2010"


def test_an_index_without_faqs_scores_nothing():
    assert FaqRetriever([]).scores("prolotherapy") == {}


def test_blend_without_retrieval_keeps_the_selector_ranking():
    ranking = [("prp_what", 0.6), ("authors", 0.3)]
    assert blend(ranking, {}) == ranking


def test_retrieval_turns_a_flat_ranking_into_an_answer():
    flat = [("study_cusi_2010", 0.36), ("study_korean_rct_2010", 0.34), ("prp_what", 0.1)]
    text = "chonnam university prolotherapy study"
    assert decide(parse(flat, text)).kind == CLARIFY
    decision = decide(parse(flat, text), retriever=default_retriever())
    assert (decision.kind, decision.topic) == (ANSWER, "study_korean_rct_2010")


def test_retrieval_alone_cannot_answer_what_the_intent_declined():
    data = parse([("study_korean_rct_2010", 0.9)], "chonnam university prolotherapy study")
    data["intent"] = {"name": "out_of_scope", "confidence": 0.9}
    assert decide(data, retriever=default_retriever()).kind != ANSWER


def test_every_faq_can_be_found_by_its_own_title():
    retriever = default_retriever()
    faqs = load_faqs()
    found = sum(top(retriever.scores(faq.title) or {"-": 1}) == faq.id for faq in faqs)
    assert found >= 0.9 * len(faqs)


def test_retrieval_never_adds_a_faq_the_served_model_does_not_know():
    # The model knows two FAQs; the words match a third one (as after a rollback).
    text = "chonnam university prolotherapy study"
    decision = decide(parse([("prp_what", 0.35), ("authors", 0.33)], text), retriever=default_retriever())
    assert decision.topic in {"prp_what", "authors"}
    assert "study_korean_rct_2010" not in decision.options
