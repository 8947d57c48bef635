"""The FAQ source of truth: verbatim quotes, real references, enough phrasings."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest
import yaml

from assistant.faq import MIN_PHRASINGS, FaqError, load_faqs
from assistant.knowledge import KNOWLEDGE_DIR, get_article, parse_references
from assistant.tools.build import render

REQUIRED_TOPICS = {
    "si_joint_what", "fusion_only_option", "pain_after_successful_fusion", "si_pain_after_l5s1_fusion",
    "how_common_si_pain", "disc_herniation_vs_si", "si_vs_spine_hip_symptoms", "diagnostic_nerve_block",
    "fusion_critique_magic_bullet", "pain_after_decompression", "standard_treatment_pathway",
    "sacroiliitis", "ligament_laxity_instability", "referral_pain_patterns", "groin_pain",
    "injection_evidence_grades", "repeated_image_guided_injections", "prolotherapy_what",
    "prolotherapy_procedure", "recovery_after_treatment", "number_of_treatments", "study_hauser_2009",
    "study_va_2018", "study_korean_rct_2010", "study_cusi_2010", "study_hackett", "prp_what",
    "prp_vs_steroids", "prp_long_term", "whole_ligament_complex", "diagnostic_clues",
    "diagnosis_palpation", "sciatic_nerve_irritation", "manipulation_physical_therapy",
    "radiofrequency_ablation", "clinic_offices", "clinic_contact", "out_of_network", "authors",
    "disclaimer",
}


@pytest.fixture(scope="module")
def faqs():
    return load_faqs()


def test_article_has_its_22_numbered_references():
    refs = get_article().references
    assert sorted(refs) == list(range(1, 23))
    assert refs[17].startswith("Hoffman MD, Agnish V.")
    assert "[Google Scholar]" not in refs[17]


def test_reference_parser_ignores_numbers_that_are_not_a_list():
    text = "124 patients were seen\n\n1 First A. Study. 2001.\n2 Second B. Study. 2002.\n715 Lake St."
    assert parse_references(text) == {1: "First A. Study. 2001.", 2: "Second B. Study. 2002."}


def test_every_topic_of_the_article_is_covered(faqs):
    assert {f.id for f in faqs} >= REQUIRED_TOPICS


def test_every_quote_is_verbatim_and_every_ref_exists(faqs):
    article = get_article()
    normalised = " ".join(article.text.split())
    for faq in faqs:
        assert faq.sources, faq.id
        for source in faq.sources:
            assert source.quote in normalised, (faq.id, source.quote)
            assert source.ref is None or source.ref in article.references, (faq.id, source.ref)


def test_each_faq_has_enough_distinct_phrasings(faqs):
    for faq in faqs:
        assert len(set(faq.phrasings)) >= MIN_PHRASINGS, faq.id


def test_generated_training_data_comes_from_the_source(faqs):
    generated = yaml.safe_load(render(faqs))
    intents = {block["intent"] for block in generated["nlu"]}
    for faq in faqs:
        assert f"faq/{faq.id}" in intents
        # the label only: the action builds the answer, and a long text here costs
        # training time and bloats every stored message's parse data
        assert generated["responses"][f"utter_faq/{faq.id}"] == [{"text": faq.title}]


def _write_faq(tmp_path: Path, body: str) -> Path:
    faq_dir = tmp_path / "faq"
    faq_dir.mkdir()
    (faq_dir / "new.yml").write_text(textwrap.dedent(body), encoding="utf-8")
    return faq_dir


def _entry(faq_id: str, quote: str, phrasings: list[str], ref: str = "null") -> str:
    lines = "\n".join(f"      - {p}" for p in phrasings)
    return (f"  - id: {faq_id}\n    title: A title\n    answer: A faithful paraphrase of the article.\n"
            f"    sources:\n      - quote: \"{quote}\"\n        ref: {ref}\n    phrasings:\n{lines}\n")


def test_a_quote_that_is_not_verbatim_is_refused_with_file_and_line(tmp_path):
    phrasings = [f"question number {i}" for i in range(MIN_PHRASINGS)]
    made_up = _entry("made_up", "Prolotherapy cures everyone in one visit.", phrasings)
    faq_dir = _write_faq(tmp_path, "faqs:\n" + made_up)
    with pytest.raises(FaqError) as err:
        load_faqs(faq_dir, KNOWLEDGE_DIR)
    assert any("new.yml:" in e and "not verbatim" in e for e in err.value.errors)


def test_duplicate_phrasing_missing_ref_and_too_few_phrasings_are_refused(tmp_path):
    quote = "A joint is only as strong as its weakest ligament."
    first = _entry("topic_one", quote, [f"first topic question {i}" for i in range(MIN_PHRASINGS - 1)]
                   + ["shared question"], ref="99")
    second = _entry("topic_two", quote, ["shared question", "only two"])
    faq_dir = _write_faq(tmp_path, "faqs:\n" + first + second)
    with pytest.raises(FaqError) as err:
        load_faqs(faq_dir, KNOWLEDGE_DIR)
    text = "\n".join(err.value.errors)
    assert "reference 99 does not exist" in text
    assert "'shared question' is also a phrasing of topic_one" in text
    assert "has 2 phrasings, needs at least" in text
    assert all("new.yml:" in e for e in err.value.errors)
