"""Answers from a passage of the article when no FAQ fits (assistant/passages.py, routing, action)."""

from __future__ import annotations

from dataclasses import dataclass

from actions.answers import ActionAnswerFaq, ActionOutOfScope
from assistant.knowledge import get_article, load_articles
from assistant.passages import PassageRetriever, default_passage_retriever, passages
from assistant.routing import ANSWER, FALLBACK, PASSAGE_TOPIC, decide
from tests.test_actions import custom, run

STUDY_QUESTION = "what did the doctors at Chonnam National University Hospital find"


def test_passages_are_verbatim_paragraphs_of_the_body_with_valid_citations():
    article = get_article()
    found = passages(article)
    assert len(found) > 50
    for passage in found:
        assert passage.text in article.normalised
        assert len(passage.text.split()) >= 20
        assert all(ref in article.references for ref in passage.refs)
    assert not any(article.references[1] in p.text for p in found), "the reference list is no passage"
    assert any(p.refs for p in found)


def test_a_study_named_by_its_institution_finds_the_paragraph_that_reports_it():
    passage, share, runner_up = default_passage_retriever().best(STUDY_QUESTION)
    assert 18 in passage.refs and "Chonnam" in passage.text
    assert share > runner_up


def test_words_the_article_does_not_use_find_nothing():
    retriever = PassageRetriever(load_articles())
    assert retriever.best("how do you say please in french") is None
    assert retriever.best("") is None


@dataclass
class FixedPassages:
    """A passage index whose verdict the test chooses."""

    share: float
    runner_up: float

    def best(self, text):
        return passages(get_article())[0], self.share, self.runner_up


def parse(intent: str = "faq", triage: dict | None = None) -> dict:
    return {"text": "something the FAQs do not cover", "intent": {"name": intent},
            "response_selector": {"faq": {"ranking": [{"intent_response_key": "faq/prp_what",
                                                       "confidence": 0.1}]}},
            **({"triage": triage} if triage else {})}


def test_a_declined_faq_question_is_answered_with_a_clearly_best_passage():
    decision = decide(parse(), {"prp_what"}, passages=FixedPassages(0.9, 0.05))
    assert (decision.kind, decision.topic) == (ANSWER, PASSAGE_TOPIC)
    assert decision.passage == passages(get_article())[0]


def test_no_passage_answer_when_it_is_not_clear_or_not_an_faq_question():
    assert decide(parse(), {"prp_what"}, passages=FixedPassages(0.5, 0.4)).kind == FALLBACK
    assert decide(parse("out_of_scope"), {"prp_what"}, passages=FixedPassages(0.9, 0.0)).kind == FALLBACK
    assert decide(parse(triage={"kind": "diagnosis"}), {"prp_what"},
                  passages=FixedPassages(0.9, 0.0)).kind == FALLBACK
    assert decide(parse(), {"prp_what"}).kind == FALLBACK  # no passage index given


def test_an_faq_that_fits_is_answered_with_the_faq_not_a_passage():
    confident = {**parse(), "response_selector": {"faq": {"ranking": [
        {"intent_response_key": "faq/prp_what", "confidence": 0.95}]}}}
    decision = decide(confident, {"prp_what"}, passages=FixedPassages(0.99, 0.0))
    assert (decision.kind, decision.topic) == (ANSWER, "prp_what")


def test_passage_answers_are_off_unless_switched_on(monkeypatch):
    monkeypatch.delenv("PASSAGE_ANSWERS", raising=False)
    payload = custom(run(ActionAnswerFaq(), text=STUDY_QUESTION, ranking=[("prp_what", 0.05)]))
    # No paragraph; the one sentence that answers it may be given (assistant/answering/sentence_answers.py).
    assert "passage" not in payload


def test_the_action_answers_with_the_passage_verbatim_and_its_study(monkeypatch):
    monkeypatch.setenv("PASSAGE_ANSWERS", "on")
    messages = run(ActionAnswerFaq(), text=STUDY_QUESTION, ranking=[("prp_what", 0.05)])
    payload = custom(messages)
    article = get_article()
    assert (payload["kind"], payload["topic"]) == ("answer", PASSAGE_TOPIC)
    [source] = payload["sources"]
    assert source["quote"] in article.normalised and "Chonnam" in source["quote"]
    assert source["ref"] == 18 and source["citation"] == article.references[18]
    assert source["quote"] in messages[0]["text"] and article.references[18] in messages[0]["text"]
    assert payload["passage"]["article"] == article.slug


def test_out_of_scope_requests_are_never_answered_with_a_passage(monkeypatch):
    monkeypatch.setenv("PASSAGE_ANSWERS", "on")
    payload = custom(run(ActionOutOfScope(), text=STUDY_QUESTION, intent="out_of_scope"))
    assert "passage" not in payload  # a paragraph never; one sentence that answers it may be given
