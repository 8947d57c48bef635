"""The developer workflow's file tools: FAQ scaffold and label import."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from sqlalchemy import select

from assistant.faq import FAQ_DIR, FaqError, load_faqs
from assistant.paths import PROJECT_ROOT
from assistant.store import NEW_FAQ_NEEDED, LabelledExample, session
from assistant.tools.import_labels import import_labels
from assistant.tools.scaffold import scaffold


@pytest.fixture()
def faq_dir(tmp_path: Path) -> Path:
    target = tmp_path / "faq"
    target.mkdir()
    for path in FAQ_DIR.glob("*.yml"):
        shutil.copy(path, target)
    return target


def test_scaffold_writes_a_template_that_validation_refuses_until_filled(faq_dir: Path) -> None:
    path = scaffold("knee_pain_link", "new", faq_dir)
    text = path.read_text()
    assert text.startswith("faqs:\n") and "- id: knee_pain_link" in text and "# " in text
    with pytest.raises(FaqError) as error:
        load_faqs(faq_dir)
    messages = "\n".join(error.value.errors)
    assert "new.yml:" in messages and "not verbatim" in messages and "needs at least 12" in messages


def test_scaffold_refuses_bad_or_existing_ids(faq_dir: Path) -> None:
    with pytest.raises(ValueError, match="invalid id"):
        scaffold("Bad Id!", "new", faq_dir)
    with pytest.raises(ValueError, match="already exists"):
        scaffold("prp_what", "new", faq_dir)


def label(db_url: str, text: str, faq_id: str, event_id: int) -> None:
    with session(db_url) as db:
        db.add(LabelledExample(conversation_id="c1", event_id=event_id, text=text, faq_id=faq_id,
                               labelled_by="alice"))


def test_labels_become_phrasings_once_without_duplicates(db_url: str, faq_dir: Path) -> None:
    label(db_url, "is platelet rich plasma the same as prp shots?", "prp_what", 1)
    label(db_url, "What is PRP?", "prp_what", 2)  # already a phrasing (normalised)
    label(db_url, "can my knee pain come from the SI joint", NEW_FAQ_NEEDED, 3)
    label(db_url, "IS PLATELET RICH PLASMA the same as PRP shots", "prp_what", 4)  # same as the first
    before = {f.id: f for f in load_faqs(faq_dir)}["prp_what"]

    result = import_labels(db_url, faq_dir)

    assert result.added == {"prp_what": ["is platelet rich plasma the same as prp shots?"]}
    assert len(result.duplicates) == 2
    assert result.new_faq_needed == ["can my knee pain come from the SI joint"]
    after = {f.id: f for f in load_faqs(faq_dir)}["prp_what"]
    assert after.phrasings == (*before.phrasings, "is platelet rich plasma the same as prp shots?")
    # comments and other FAQs are untouched: only one line was added to one file
    changed = [p.name for p in faq_dir.glob("*.yml")
               if p.read_text() != (FAQ_DIR / p.name).read_text()]
    assert len(changed) == 1
    new_lines = set((faq_dir / changed[0]).read_text().splitlines()) - set(
        (FAQ_DIR / changed[0]).read_text().splitlines())
    assert new_lines == {'      - "is platelet rich plasma the same as prp shots?"'}
    with session(db_url) as db:
        pending = db.execute(select(LabelledExample.faq_id).where(LabelledExample.imported_at.is_(None))).all()
    assert pending == [(NEW_FAQ_NEEDED,)]
    assert import_labels(db_url, faq_dir).added == {}  # a second run adds nothing


def test_data_hash_follows_the_training_inputs(tmp_path: Path) -> None:
    from assistant.tools.training import TRAINING_INPUTS, data_hash

    root = tmp_path / "project"
    for name in TRAINING_INPUTS:
        source = PROJECT_ROOT / name
        if source.is_dir():
            shutil.copytree(source, root / name)
        else:
            (root / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy(source, root / name)
    first = data_hash(root)
    assert first == data_hash(root) and len(first) == 12
    faq = root / "data" / "faq" / "clinic.yml"
    faq.write_text(faq.read_text() + "\n# a comment\n")
    assert data_hash(root) != first


def test_rollback_retires_the_newest_model(tmp_path: Path, monkeypatch) -> None:
    import os
    import time

    from assistant.tools import retrain

    models = tmp_path / "models"
    models.mkdir()
    monkeypatch.setattr(retrain, "MODELS", models)
    monkeypatch.setattr(retrain, "RETIRED", models / "retired")
    assert retrain.rollback() == 1  # nothing to roll back to
    for name in ("20260101-000000-aaaaaaaaaaaa", "20260201-000000-bbbbbbbbbbbb"):
        (models / f"{name}.tar.gz").write_bytes(b"model")
        time.sleep(0.02)
        os.utime(models / f"{name}.tar.gz")
    assert retrain.rollback() == 0
    assert [p.name for p in retrain.served_models(models)] == ["20260101-000000-aaaaaaaaaaaa.tar.gz"]
    assert (models / "retired" / "20260201-000000-bbbbbbbbbbbb.tar.gz").exists()


def test_missed_bars_name_the_group_and_the_bar() -> None:
    from assistant.tools.retrain import missed_bars

    summary = {"scores": {"in_scope": 0.90, "out_of_scope": 0.95, "red_flags": 1.0}}
    assert missed_bars(summary) == ["in_scope 90.0% is below the bar of 95%"]
