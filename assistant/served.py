"""What the running bot serves: the newest model in ``models/`` and its registry entry.

A *release* is one archive in ``models/``; the model server hands the newest
to the Rasa servers, and ``make rollback`` retires it. Its entry in
``models/registry.json`` may name FAQs that its model was never trained on
but that it answers from the retrieval index alone (``index_faqs``): that is
how ``make retrain`` puts a new FAQ live in seconds, before the full training
that teaches it to the classifiers has finished (docs/retraining.md). The
action server and ``make eval`` read that list here, so both see the release
the model server hands out, and a rollback takes the FAQ out again.

Runtime code (the action server, the model server) imports this module; the
training tools (:mod:`assistant.tools.training`, :mod:`assistant.tools.retrain`)
write the registry.
"""

from __future__ import annotations

import json
import logging
import os
import tarfile
from functools import lru_cache
from pathlib import Path
from typing import Any

from assistant.paths import PROJECT_ROOT

MODELS = PROJECT_ROOT / "models"
REGISTRY_NAME = "registry.json"
FAQ_RESPONSE_PREFIX = "utter_faq/"


def served_models(models: Path | None = None) -> list[Path]:
    """Models in models/, oldest first (the model server serves the newest)."""
    return sorted((models or MODELS).glob("*.tar.gz"), key=lambda p: p.stat().st_ctime)


def current_model(models: Path | None = None) -> Path | None:
    """The archive the running bot serves: the newest in models/ (retired ones excluded)."""
    found = served_models(models)
    return found[-1] if found else None


def load_registry(models: Path | None = None) -> dict[str, Any]:
    path = (models or MODELS) / REGISTRY_NAME
    return json.loads(path.read_text()) if path.exists() else {}


def save_registry(registry: dict[str, Any], models: Path | None = None) -> None:
    """Written whole (temporary file, then rename): the action server reads it while it runs."""
    path = (models or MODELS) / REGISTRY_NAME
    staged = path.with_suffix(".json.tmp")
    staged.write_text(json.dumps(registry, indent=2, sort_keys=True))
    os.replace(staged, path)


def _fingerprint(models: Path) -> tuple[Any, ...]:
    registry = models / REGISTRY_NAME
    newest = current_model(models)
    stamp = registry.stat().st_mtime_ns if registry.exists() else None
    return (str(models), stamp, *([newest.name] if newest else []))


@lru_cache(maxsize=4)
def _index_faqs(fingerprint: tuple[Any, ...]) -> frozenset[str]:
    models = Path(fingerprint[0])
    newest = fingerprint[2:]
    if not newest:
        return frozenset()
    try:
        entry = load_registry(models).get(newest[0]) or {}
    except (OSError, ValueError) as error:  # half-written registry: answer as the model alone would
        logging.getLogger(__name__).warning("models/registry.json unreadable: %s", error)
        return frozenset()
    return frozenset(entry.get("index_faqs") or ())


def index_faqs(models: Path | None = None) -> frozenset[str]:
    """FAQs the served release answers by retrieval alone (empty for a fully trained model)."""
    return _index_faqs(_fingerprint(models or MODELS))


def model_faq_ids(archive: Path) -> set[str]:
    """The FAQ ids a trained archive knows (its domain's ``utter_faq/<id>`` responses)."""
    with tarfile.open(archive) as tar:
        member = tar.extractfile("metadata.json")
        if member is None:
            raise ValueError(f"{archive.name} has no metadata.json")
        responses = (json.load(member).get("domain") or {}).get("responses") or {}
    return {key.removeprefix(FAQ_RESPONSE_PREFIX) for key in responses if key.startswith(FAQ_RESPONSE_PREFIX)}
