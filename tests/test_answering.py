"""The answer layer (assistant/answering): sentences, quotes chosen for the question, the reply."""

from __future__ import annotations

import pytest

from assistant.answering import reply_for_parse
from assistant.answering.compose import faq_reply
from assistant.answering.quotes import MAX_QUOTES, choose_quotes
from assistant.answering.sentences import is_heading, sentences, split_sentences
from assistant.faq import faq_index
from assistant.knowledge import get_article


@pytest.fixture(scope="module")
def article():
    return get_article(None)


def sentence_with(article, fragment: str):
    return next(s for s in sentences(article) if fragment in s.text)


def test_sentences_are_verbatim_and_cite_known_studies(article):
    found = sentences(article)
    assert len(found) > 300
    for sentence in found:
        assert sentence.text in article.normalised
        assert all(ref in article.references for ref in sentence.refs)
    assert not any(article.references[1] in s.text for s in found), "the reference list is no sentence"


def test_a_study_reported_before_its_citation_mark_is_credited_to_it(article):
    # "Doctors in Germany examined ... Here is what they said:" then the findings, "(6)" at the end.
    assert sentence_with(article, "Female patients suffered more").refs == (6,)
    assert sentence_with(article, "100 consecutive patients").refs == (6,)


def test_a_line_naming_the_journal_opens_the_study_cited_a_few_lines_later(article):
    # "which journal was that in?" after the PRP-versus-steroid answer needs this link.
    assert sentence_with(article, "writing in the journal Pain Practice").refs == (21,)
    assert sentence_with(article, "Forty patients with chronic low back pain").refs == (21,)
    assert sentence_with(article, "Doctors at the University of Toronto").refs == (22,)
    # Commentary on "the research above" is not credited to the study after it.
    assert sentence_with(article, "Research like that above shows").refs == ()


def test_the_clinics_own_voice_is_never_credited_to_a_study(article):
    assert sentence_with(article, "Our clinical experience has been").refs == ()
    assert sentence_with(article, "We hope to help patients avoid").refs == ()


def test_abbreviations_do_not_end_a_sentence():
    assert split_sentences("In 1995 A. Schwarzer et al. wrote it. Then Dr. Hauser agreed.") == [
        "In 1995 A. Schwarzer et al. wrote it.", "Then Dr. Hauser agreed."]
    assert is_heading("Can you avoid fusion surgery?")
    assert not is_heading("Pain was the reason for “failed-back-surgery.”(6)")


@pytest.mark.parametrize(("topic", "question", "detail"), [
    ("pain_after_decompression", "how many patients' records did the German doctors analyze",
     "100 consecutive patients"),
    ("pain_after_decompression", "are female patients more likely to have SI pain after decompression",
     "Female patients suffered more"),
    ("study_hauser_2009", "what share of patients stopped their pain medication after prolotherapy",
     "completely stop taking pain medications"),
])
def test_the_quote_that_holds_the_detail_asked_comes_first(topic, question, detail, article):
    quotes = choose_quotes(question, faq_index()[topic])
    assert detail in quotes[0].text
    assert len(quotes) <= MAX_QUOTES
    assert all(q.text in article.normalised for q in quotes)


def test_without_a_question_the_faqs_own_quotes_are_given():
    faq = faq_index()["pain_after_decompression"]
    assert [q.text for q in choose_quotes("", faq)] == [s.quote for s in faq.sources][:MAX_QUOTES]


def test_an_answer_reply_holds_its_quotes_and_their_citations(article):
    reply = faq_reply(faq_index()["pain_after_decompression"], 0.9, question="were women affected more?")
    assert reply.kind == "answer" and reply.topic == "pain_after_decompression"
    for source in reply.sources:
        assert source["quote"] in reply.text and source["quote"] in article.normalised
        assert source["citation"] == article.references[6]
    assert "Female patients suffered more" in reply.evidence


@pytest.mark.parametrize(("intent", "kind"), [
    ("urgent_symptom", "urgent"), ("greet", "smalltalk"), ("book_appointment", "book_appointment")])
def test_messages_the_answer_layer_does_not_answer_keep_their_kind(intent, kind):
    parse = {"text": "hello", "intent": {"name": intent, "confidence": 0.99},
             "intent_ranking": [{"name": intent, "confidence": 0.99}]}
    assert reply_for_parse(parse).kind == kind


def test_a_request_for_a_diagnosis_is_declined():
    parse = {"text": "can you read my MRI and tell me what I have",
             "intent": {"name": "out_of_scope", "confidence": 0.9},
             "intent_ranking": [{"name": "out_of_scope", "confidence": 0.9}]}
    assert reply_for_parse(parse).kind == "fallback"


def test_every_lay_term_stands_for_a_word_the_article_uses(article):
    from assistant.answering.lay_terms import lay_terms
    from assistant.retrieval import tokens

    article_words = set(tokens(article.normalised))
    for phrase, term in lay_terms().items():
        assert set(term) <= article_words, f"{phrase} -> {term}: not in the article"


def test_a_sentence_answer_needs_the_question_held_not_only_its_topic():
    from assistant.answering.sentence_answers import sentence_answer

    found = sentence_answer("can a plain x-ray show SI joint problems")
    assert found is not None and "Plain radiographs show" in found.sentence.text
    for near_miss in ("how much does one prolotherapy session cost", "is PRP safe during pregnancy",
                      "should I stop taking my blood thinner before an injection"):
        assert sentence_answer(near_miss) is None, near_miss


def test_every_paragraph_of_the_article_is_quoted_by_an_faq_or_next_to_a_quote():
    """`make coverage`: quote selection can lead with any passage of the article's body."""
    from assistant.tools.coverage import report

    uncovered = [(line.number, line.text[:60]) for line in report(model=None) if line.status == "-"]
    assert uncovered == []


def test_a_citation_mark_missing_its_bracket_still_counts(article):
    # "Clinical Neurology and Neurosurgery (10looked to identify ..." in the article.
    assert sentence_with(article, "127 patients (57 men, 70 women").refs == (10,)


def test_a_question_about_something_nothing_here_mentions_is_not_answered_with_a_lookalike_faq():
    from assistant.answering import decision_for
    from assistant.answering.vocabulary import unknown_words

    assert unknown_words("can i drink alcohol after prolo shots??") == ["drink", "alcohol"]
    assert unknown_words("is one injecton enough for prolotherapy?") == []  # a typo of a known word
    parse = {"text": "can i drink alcohol after prolo shots??",
             "intent": {"name": "faq", "confidence": 0.95}, "intent_ranking": [{"name": "faq", "confidence": 0.95}],
             "response_selector": {"faq": {"ranking": [
                 {"intent_response_key": "faq/recovery_after_treatment", "confidence": 0.9}]}}}
    assert decision_for(parse).kind == "fallback"
    same_without = {**parse, "text": "what should I do after prolo shots?"}
    assert (decision_for(same_without).kind, decision_for(same_without).topic) == (
        "answer", "recovery_after_treatment")


def test_everyday_chat_words_name_no_subject_and_do_not_decline_a_question():
    # "ordinary", "gimmick", "tho": a check-in's question was declined for them (development sets).
    from assistant.answering.vocabulary import unknown_words

    assert unknown_words("How is PRP different from ordinary prolotherapy?") == []
    assert unknown_words("is prolo just a gimmick tho?") == []
    # The file's comments name subjects that must stay unknown.
    assert unknown_words("any alcohol after prolo?") == ["alcohol"]


def test_only_the_question_is_checked_for_unknown_words_not_the_story_around_it():
    from assistant.answering.vocabulary import unknown_words

    story = ("My mother is 78 and loves gardening and her grandchildren. Her surgeon wants to fuse her "
             "SI joint. Is fusion really her only option?")
    assert unknown_words(story) == []
    assert unknown_words("My mother loves gardening. Can she drink alcohol after prolotherapy?") == [
        "drink", "alcohol"]
