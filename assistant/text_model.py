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
        state.pop("_blocks", None)  # derived from the classifier when first needed
        return state

    @property
    def vectoriser(self) -> Vectoriser:
        if self._vectoriser is None:
            self._vectoriser = spacy_vectoriser()
        return self._vectoriser

    def _parts(self, texts: list[str], fit: bool = False) -> tuple[Any, Any, np.ndarray]:
        """Word n-grams, character n-grams (both sparse) and unit-length word vectors."""
        norm = [fold(t) for t in texts]  # as the triage rules read it
        words = self.words.fit_transform(norm) if fit else self.words.transform(norm)
        chars = self.chars.fit_transform(norm) if fit else self.chars.transform(norm)
        vectors = self.vectoriser(texts)
        lengths = np.linalg.norm(vectors, axis=1, keepdims=True)
        return words, chars, vectors / np.where(lengths == 0, 1, lengths)

    def _features(self, texts: list[str], fit: bool = False) -> Any:
        from scipy.sparse import csr_matrix, hstack

        words, chars, vectors = self._parts(texts, fit)
        return hstack([words, chars, csr_matrix(vectors)]).tocsr()

    def fit(self, texts: list[str], labels: list[str]) -> NgramVectorClassifier:
        self.__dict__.pop("_blocks", None)
        self.classifier.fit(self._features(texts, fit=True), labels)
        return self

    @property
    def classes(self) -> list[str]:
        return list(self.classifier.classes_)

    def probabilities(self, texts: list[str]) -> np.ndarray:
        """One row per text, one column per class (in :attr:`classes` order).

        The same numbers as ``self.classifier.predict_proba(self._features(texts))``
        (tests/test_triage.py checks it), computed part by part: stacking the
        sparse matrices and scikit-learn's input checks cost more than the
        arithmetic, on every message the Rasa server parses (two models).
        """
        from scipy.special import expit, softmax

        decision = self._decision(texts)
        model = self.classifier
        if decision.shape[1] == 1:  # two classes: the logistic function of one score
            positive = expit(decision[:, 0])
            return np.column_stack([1 - positive, positive])
        if model.multi_class == "ovr" or model.solver == "liblinear":
            ovr = expit(decision)
            return ovr / ovr.sum(axis=1, keepdims=True)
        return softmax(decision, axis=1)

    def _decision(self, texts: list[str]) -> np.ndarray:
        """The linear model's scores, one column per row of ``coef_``."""
        words, chars, vectors = self._parts(texts)
        word_coef, char_coef, vector_coef = self._coef_blocks(words.shape[1], chars.shape[1])
        scores = np.asarray(words @ word_coef) + np.asarray(chars @ char_coef)
        return scores + vectors @ vector_coef + self.classifier.intercept_

    def _coef_blocks(self, n_words: int, n_chars: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """``coef_`` split by feature part, transposed and contiguous once (a copy per call costs more)."""
        blocks = self.__dict__.get("_blocks")
        if blocks is None:
            coef, split = self.classifier.coef_, n_words + n_chars
            parts = (coef[:, :n_words], coef[:, n_words:split], coef[:, split:])
            blocks = tuple(np.ascontiguousarray(part.T) for part in parts)
            self._blocks = blocks
        return blocks


# CLINC150's train-split requests to other assistants (assistant/tools/evaluate_clinc.py
# writes it): the everyday side of the out-of-domain detector, and negatives of the
# red-flag model.
EVERYDAY_FILE = PROJECT_ROOT / "data" / "out_of_domain" / "clinc150_train.txt"


def everyday_requests(path: Path = EVERYDAY_FILE) -> list[str]:
    lines = path.read_text(encoding="utf-8").splitlines()
    return [line.strip() for line in lines if line.strip() and not line.startswith("#")]


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
