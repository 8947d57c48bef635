"""Small scikit-learn text classifiers that sit next to the Rasa pipeline.

Two binary questions are better answered by a model of their own than by an
extra intent in DIET: "is this urgent?" (:mod:`assistant.red_flag_model`) and
"is this about the clinic's topics at all?" (:mod:`assistant.domain_model`).
Each has its own threshold, tuned without moving the FAQ classifier, trains in
seconds and is cached under ``var/cache`` by the hash of its data, so the Rasa
server, the tests and the evaluation scripts share one fitted object.

Features are word and character n-grams (typos, "numbb", "peeing") plus
spaCy's word vectors (synonyms the examples never used: "ripping" for
"tearing").
"""

from __future__ import annotations

import hashlib
import os
import pickle
import re
from collections.abc import Callable, Iterable
from functools import lru_cache
from pathlib import Path
from typing import Any, TypeVar

import numpy as np

from assistant.paths import PROJECT_ROOT
from assistant.text import fold

SPACY_MODEL = PROJECT_ROOT / "var" / "spacy" / "en_core_web_md"
CACHE_DIR = PROJECT_ROOT / "var" / "cache"

_ENTITY = re.compile(r"\[([^\]]+)\]\([^)]*\)")
Vectoriser = Callable[[list[str]], np.ndarray]
Model = TypeVar("Model")


@lru_cache(maxsize=1)
def spacy_vectoriser() -> Vectoriser:
    """Mean word vectors from the same spaCy model the NLU pipeline loads."""
    import spacy

    nlp = spacy.load(SPACY_MODEL, exclude=["tagger", "parser", "ner", "lemmatizer",
                                           "attribute_ruler", "senter", "tok2vec"])

    def vectorise(texts: list[str]) -> np.ndarray:
        return np.array([doc.vector for doc in nlp.pipe(texts, batch_size=256)], dtype=np.float32)

    return vectorise


class NgramVectorClassifier:
    """n-gram and word-vector features, logistic regression."""

    def __init__(self, C: float = 30.0, class_weight: str | None = None,
                 vectoriser: Vectoriser | None = None) -> None:
        from sklearn.feature_extraction.text import TfidfVectorizer
        from sklearn.linear_model import LogisticRegression

        self.words = TfidfVectorizer(ngram_range=(1, 2), min_df=1, sublinear_tf=True,
                                     token_pattern=r"(?u)\b\w+\b")
        self.chars = TfidfVectorizer(analyzer="char_wb", ngram_range=(2, 5), min_df=2,
                                     sublinear_tf=True)
        self.classifier = LogisticRegression(C=C, class_weight=class_weight, max_iter=3000)
        self._vectoriser = vectoriser

    def __getstate__(self) -> dict[str, Any]:
        state = dict(self.__dict__)
        state["_vectoriser"] = None  # a spaCy model is not pickled; it is loaded again
        return state

    @property
    def vectoriser(self) -> Vectoriser:
        if self._vectoriser is None:
            self._vectoriser = spacy_vectoriser()
        return self._vectoriser

    def _features(self, texts: list[str], fit: bool = False) -> Any:
        from scipy.sparse import csr_matrix, hstack

        norm = [fold(t) for t in texts]  # as the triage rules read it
        words = self.words.fit_transform(norm) if fit else self.words.transform(norm)
        chars = self.chars.fit_transform(norm) if fit else self.chars.transform(norm)
        vectors = self.vectoriser(texts)
        lengths = np.linalg.norm(vectors, axis=1, keepdims=True)
        vectors = vectors / np.where(lengths == 0, 1, lengths)
        return hstack([words, chars, csr_matrix(vectors)]).tocsr()

    def fit(self, texts: list[str], labels: list[str]) -> NgramVectorClassifier:
        self.classifier.fit(self._features(texts, fit=True), labels)
        return self

    @property
    def classes(self) -> list[str]:
        return list(self.classifier.classes_)

    def probabilities(self, texts: list[str]) -> np.ndarray:
        """One row per text, one column per class (in :attr:`classes` order)."""
        return self.classifier.predict_proba(self._features(texts))


def nlu_examples() -> dict[str, list[str]]:
    """intent -> its examples in ``data/nlu``, entity markup removed ("[Queens](office)" -> "Queens")."""
    import yaml

    found: dict[str, list[str]] = {}
    for path in sorted((PROJECT_ROOT / "data" / "nlu").glob("*.yml")):
        for block in (yaml.safe_load(path.read_text(encoding="utf-8")) or {}).get("nlu") or []:
            lines = (block.get("examples") or "").splitlines()
            found.setdefault(block.get("intent"), []).extend(
                _ENTITY.sub(r"\1", line[2:].strip()) for line in lines if line.startswith("- "))
    return found


def source_digest(version: str, sources: Iterable[Path]) -> str:
    """Changes whenever one of the files, the model version or scikit-learn changes."""
    import sklearn

    digest = hashlib.sha256(version.encode())
    for path in [Path(__file__), Path(fold.__code__.co_filename), *sources]:  # the features, the folding
        digest.update(path.read_bytes())
    digest.update(sklearn.__version__.encode())
    return digest.hexdigest()[:16]


def cached(name: str, digest: str, train: Callable[[], Model]) -> Model:
    """The fitted model from ``var/cache`` when its data has not changed, else trained now.

    A process that starts on new data trains once and leaves the result for
    the next one, written atomically: the Rasa server, the tests and
    ``make eval`` may start at the same time.
    """
    path = CACHE_DIR / f"{name}-{digest}.pkl"
    if path.exists():
        try:
            with path.open("rb") as fh:
                return pickle.load(fh)
        except Exception:  # noqa: BLE001 - a broken cache file is rebuilt, never fatal
            pass
    model = train()
    CACHE_DIR.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(f".{os.getpid()}.tmp")
    with tmp.open("wb") as fh:
        pickle.dump(model, fh)
    tmp.replace(path)
    return model
