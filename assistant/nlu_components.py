"""Custom Rasa NLU components: visitor text tidied first, triage last in the pipeline.

``PunctuationRuns`` runs before spaCy on every message, so the classifiers
read "is fusion my only option???" as "is fusion my only option?"
(:func:`assistant.text.collapse_punctuation_runs`). The stored message keeps
what the visitor typed; only the parse data's text is tidied. Training
phrasings are left as written: tidying the dozen that contain a run trains a
different model, which measured worse in-scope and better out-of-scope on
both development sets (docs/nlu.md, step 12), while tidying only messages
keeps the measured model and its numbers.

``QuestionFromDistress`` runs next: "I'm worn down to nothing. How many
sessions would I need?" is classified by its question alone
(:func:`assistant.triage.without_distress`), so weariness gets the answer
and the check-in line, not a decline. The whole message is kept as
``full_text`` for the triage.

``SpanishGloss`` runs next: a message that reads as Spanish ("cuantas veces
necesito el tratamiento?") is classified and answered through its word-by-word
English gloss (:mod:`assistant.spanish`); the triage reads it as typed.

``FinalQuestionMark`` runs after spaCy: the classifiers read the spaCy
document of the text without the "?" that ends it, in training and at run
time, so "what is PRP?" is read as "what is PRP". The training phrasings end
in "?" about half the time, so the mark split every question in two and
DIET weighed it like a word (docs/nlu.md). Only the document the tokenizer
and featurizers read is trimmed: the text itself, which the triage, the
answer layer and the logs read, keeps the mark.

``TriageOverride`` (rules and the red-flag classifier), last, overrides
whatever the classifiers predicted when a message shows a red-flag symptom
(intent ``urgent_symptom``) or cannot be answered as text (intent
``unusable_input``: empty, too long, no words), and declines requests to
diagnose the visitor or read their scans (intent ``out_of_scope``), and
reads a short question for a detail that DIET took for small talk ("where
they at?" as a greeting) as ``out_of_scope``, which the answer layer tries
as a follow-up of the answer before. Then the
out-of-domain detector (:mod:`assistant.domain_model`) turns an FAQ question
or booking request that is really an everyday request to some other assistant
("set a timer", "book an oil change") into ``out_of_scope``; it also checks
the messages DIET was unsure about (``out_of_scope`` with ``faq`` a clear
second, or the fallback's tie between the two) and records the verdict as
``out_of_domain_flagged``, so that the action server answers only those it
lets through (:func:`assistant.routing.decide`). Running inside
the pipeline means the dialogue policies see the override "before anything
else", and ``make eval`` measures exactly what the server does.
"""

from __future__ import annotations

import pickle
from typing import Any

from rasa.engine.graph import ExecutionContext, GraphComponent
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.nlu.classifiers.classifier import IntentClassifier
from rasa.nlu.constants import SPACY_DOCS
from rasa.shared.nlu.constants import INTENT, INTENT_RANKING_KEY, INTENT_RESPONSE_KEY, TEXT
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData

from assistant import domain_model, faq_model
from assistant.answering import detail_question_read_as_smalltalk
from assistant.red_flag_model import load_model
from assistant.routing import (
    FALLBACK_INTENT,
    FAQ_INTENT,
    leaning_out_of_scope,
    torn_between_faq_and_out_of_scope,
)
from assistant.spanish import READ_AS_SPANISH, english_reading
from assistant.text import collapse_punctuation_runs
from assistant.triage import CHECKIN, DIAGNOSIS, URGENT, triage, without_distress

URGENT_INTENT = "urgent_symptom"
UNUSABLE_INTENT = "unusable_input"
OUT_OF_SCOPE_INTENT = "out_of_scope"
# Intents the out-of-domain detector may overrule; small talk, yes/no and the
# booking form's own intents are never about the article anyway.
DOMAIN_CHECKED_INTENTS = {"faq", "book_appointment"}
TRIAGE_INTENTS = {URGENT: URGENT_INTENT, DIAGNOSIS: OUT_OF_SCOPE_INTENT}
FULL_TEXT = "full_text"  # the message as typed, before QuestionFromDistress kept its question


@DefaultV1Recipe.register([DefaultV1Recipe.ComponentType.MESSAGE_FEATURIZER], is_trainable=False)
class PunctuationRuns(GraphComponent):
    """First in the pipeline: runs of one punctuation mark collapsed in the text."""

    @staticmethod
    def get_default_config() -> dict[str, Any]:
        return {}

    @classmethod
    def create(cls, config: dict[str, Any], model_storage: ModelStorage, resource: Resource,
               execution_context: ExecutionContext) -> PunctuationRuns:
        return cls()

    def process_training_data(self, training_data: TrainingData) -> TrainingData:
        return training_data  # phrasings as written (module docstring)

    def process(self, messages: list[Message]) -> list[Message]:
        for message in messages:
            text = message.get(TEXT)
            if isinstance(text, str):
                tidied = collapse_punctuation_runs(text)
                if tidied != text:
                    message.set(TEXT, tidied)
        return messages


@DefaultV1Recipe.register([DefaultV1Recipe.ComponentType.MESSAGE_FEATURIZER], is_trainable=False)
class QuestionFromDistress(GraphComponent):
    """Before spaCy: sentences of weariness set aside, so the classifiers read the question."""

    @staticmethod
    def get_default_config() -> dict[str, Any]:
        return {}

    @classmethod
    def create(cls, config: dict[str, Any], model_storage: ModelStorage, resource: Resource,
               execution_context: ExecutionContext) -> QuestionFromDistress:
        return cls()

    def process_training_data(self, training_data: TrainingData) -> TrainingData:
        return training_data  # phrasings are questions already

    def process(self, messages: list[Message]) -> list[Message]:
        for message in messages:
            text = message.get(TEXT)
            if isinstance(text, str):
                question = without_distress(text, checkin=triage(text).level == CHECKIN)
                if question != text:
                    message.set(FULL_TEXT, text)
                    message.set(TEXT, question)
        return messages


@DefaultV1Recipe.register([DefaultV1Recipe.ComponentType.MESSAGE_FEATURIZER], is_trainable=False)
class SpanishGloss(GraphComponent):
    """Before spaCy: a message that reads as Spanish is classified through its English gloss."""

    @staticmethod
    def get_default_config() -> dict[str, Any]:
        return {}

    @classmethod
    def create(cls, config: dict[str, Any], model_storage: ModelStorage, resource: Resource,
               execution_context: ExecutionContext) -> SpanishGloss:
        return cls()

    def process_training_data(self, training_data: TrainingData) -> TrainingData:
        return training_data  # the phrasings are English

    def process(self, messages: list[Message]) -> list[Message]:
        for message in messages:
            text = message.get(TEXT)
            english = english_reading(text) if isinstance(text, str) else None
            if english:
                if message.get(FULL_TEXT) is None:  # the triage reads the message as typed
                    message.set(FULL_TEXT, text)
                message.set(TEXT, english)
                message.set(READ_AS_SPANISH, True, add_to_output=True)
        return messages


@DefaultV1Recipe.register([DefaultV1Recipe.ComponentType.MESSAGE_FEATURIZER], is_trainable=False)
class FinalQuestionMark(GraphComponent):
    """Between spaCy and its tokenizer: the text's document without a final "?" (module docstring)."""

    def __init__(self, min_words: int) -> None:
        self.min_words = min_words

    @staticmethod
    def get_default_config() -> dict[str, Any]:
        # A short message keeps its "?": "how often?" or "and better?" after an answer is a
        # question, and without the mark DIET read such follow-ups as small talk (docs/nlu.md).
        return {"min_words": 4}

    @classmethod
    def create(cls, config: dict[str, Any], model_storage: ModelStorage, resource: Resource,
               execution_context: ExecutionContext) -> FinalQuestionMark:
        return cls(int(config["min_words"]))

    def process_training_data(self, training_data: TrainingData) -> TrainingData:
        self.process(training_data.training_examples)
        return training_data

    def process(self, messages: list[Message]) -> list[Message]:
        for message in messages:
            doc = message.get(SPACY_DOCS[TEXT])
            if doc is not None:
                message.set(SPACY_DOCS[TEXT], without_final_question_mark(doc, self.min_words))
        return messages


def without_final_question_mark(doc: Any, min_words: int = 1) -> Any:
    """The spaCy ``doc`` without the "?" tokens that end it, when ``min_words`` tokens precede them."""
    end = len(doc)
    while end > 0 and doc[end - 1].text == "?":
        end -= 1
    return doc if end == len(doc) or end < min_words else doc[:end].as_doc()


@DefaultV1Recipe.register([DefaultV1Recipe.ComponentType.INTENT_CLASSIFIER], is_trainable=True)
class FaqClassifier(GraphComponent, IntentClassifier):
    """A second FAQ ranking beside the ResponseSelector's, stored in the model (assistant.faq_model)."""

    MODEL_FILE = "faq_classifier.pkl"

    def __init__(self, model_storage: ModelStorage, resource: Resource, model: Any = None) -> None:
        self._model_storage = model_storage
        self._resource = resource
        self._model = model

    @staticmethod
    def get_default_config() -> dict[str, Any]:
        return {}

    @classmethod
    def create(cls, config: dict[str, Any], model_storage: ModelStorage, resource: Resource,
               execution_context: ExecutionContext) -> FaqClassifier:
        return cls(model_storage, resource)

    def train(self, training_data: TrainingData) -> Resource:
        """Fitted on the retrieval intent's phrasings, the ones the ResponseSelector learns from."""
        pairs = [(m.get(TEXT), m.get(INTENT_RESPONSE_KEY)) for m in training_data.intent_examples
                 if m.get(INTENT) == FAQ_INTENT and m.get(INTENT_RESPONSE_KEY) and m.get(TEXT)]
        texts = [text for text, _ in pairs]
        labels = [key.split("/", 1)[-1] for _, key in pairs]
        self._model = faq_model.train(texts, labels)
        with self._model_storage.write_to(self._resource) as directory:
            (directory / self.MODEL_FILE).write_bytes(pickle.dumps(self._model))
        return self._resource

    @classmethod
    def load(cls, config: dict[str, Any], model_storage: ModelStorage, resource: Resource,
             execution_context: ExecutionContext, **kwargs: Any) -> FaqClassifier:
        try:
            with model_storage.read_from(resource) as directory:
                model = pickle.loads((directory / cls.MODEL_FILE).read_bytes())  # noqa: S301 - our own archive
        except (ValueError, FileNotFoundError):
            model = None  # a model trained without FAQs: the ResponseSelector ranks alone
        return cls(model_storage, resource, model)

    def process(self, messages: list[Message]) -> list[Message]:
        if self._model is None:
            return messages
        texts = [message.get(TEXT) or "" for message in messages]
        for message, ranking in zip(messages, faq_model.rankings(self._model, texts), strict=True):
            message.set(faq_model.RANKING_KEY, ranking, add_to_output=True)
        return messages


@DefaultV1Recipe.register([DefaultV1Recipe.ComponentType.INTENT_CLASSIFIER], is_trainable=False)
class TriageOverride(GraphComponent, IntentClassifier):
    """Route red-flag and unusable messages regardless of the ML prediction."""

    @staticmethod
    def get_default_config() -> dict[str, Any]:
        return {}

    @classmethod
    def create(cls, config: dict[str, Any], model_storage: ModelStorage, resource: Resource,
               execution_context: ExecutionContext) -> TriageOverride:
        load_model()  # train or load both classifiers now, not on the first visitor
        domain_model.load_model()
        return cls()

    def process(self, messages: list[Message]) -> list[Message]:
        for message in messages:
            result = triage(message.get(FULL_TEXT) or message.get(TEXT))
            # Every parse carries the triage, so the staff console can show the
            # urgency score of a message that did not raise the alarm.
            message.set("triage", result.as_dict(), add_to_output=True)
            if result.kind is not None:
                _override(message, TRIAGE_INTENTS.get(result.kind, UNUSABLE_INTENT), 1.0)
                continue
            if detail_question_read_as_smalltalk(message.data):
                # "where they at?" read as a greeting: a follow-up or a decline, never "hello".
                _override(message, OUT_OF_SCOPE_INTENT, (message.get(INTENT) or {}).get("confidence", 0.0))
            if _domain_checked(message):
                outside = domain_model.load_model().out_of_domain([message.get(TEXT) or ""])[0]
                flagged = outside >= domain_model.THRESHOLD
                message.set("out_of_domain", round(outside, 4), add_to_output=True)
                message.set("out_of_domain_flagged", flagged, add_to_output=True)
                if flagged:
                    _override(message, OUT_OF_SCOPE_INTENT, outside)
        return messages


def _domain_checked(message: Message) -> bool:
    """Messages the action server may answer with an FAQ (assistant.routing.decide)."""
    intent = (message.get(INTENT) or {}).get("name")
    return intent in DOMAIN_CHECKED_INTENTS or (
        intent == FALLBACK_INTENT and torn_between_faq_and_out_of_scope(message.data)
    ) or leaning_out_of_scope(message.data)


def _override(message: Message, name: str, confidence: float) -> None:
    """Put ``name`` first, keeping the classifiers' ranking after it for the logs."""
    override = {"name": name, "confidence": confidence}
    message.data[INTENT] = override
    ranking = [r for r in message.data.get(INTENT_RANKING_KEY) or [] if r.get("name") != name]
    message.data[INTENT_RANKING_KEY] = [override, *ranking]
