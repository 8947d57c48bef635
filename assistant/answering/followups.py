"""Follow-up questions, read in the context of the answer before.

People chat: after an answer about the 2009 prolotherapy study they ask "how
many patients?", "which journal was that in?", "what about PRP instead?".
The context is the previous turn, when it was an answer: the visitor's
question and the FAQ (or the one sentence of the article) it was answered
with (:class:`Context`). It ends by itself after anything else (a decline, a
red flag, the booking form, a greeting), because only an answer right before
makes one.

A message is read as a follow-up when it points back ("that", "it",
"instead", "what about ...?") unless it is long and answerable on its own,
or when it carries on ("and ...?", "... too?") or is too short to stand alone
("how many patients?") unless it is answerable on its own
(:func:`stands_alone`). Then:

- "what about <other subject> (instead)?" is answered about the new subject
  in the same respect: that subject's FAQ, quotes chosen for the earlier
  question's words and the new one's;
- a follow-up that could mean either of two subjects the answer named
  ("how many sessions does it take?" after PRP vs steroid injections) is
  asked "Do you mean PRP or a steroid injection?" (:func:`which_one`);
- anything else is answered from the same FAQ, the quote that holds the
  detail now asked first (:mod:`assistant.answering.quotes`), or after a
  sentence answer with the sentence around it that holds it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace
from functools import cache, lru_cache

from assistant.answering.compose import Reply, faq_reply, sentence_reply
from assistant.answering.quotes import index_for
from assistant.answering.sentence_answers import sentence_answer
from assistant.faq import faq_index
from assistant.knowledge import get_article
from assistant.retrieval import tokens
from assistant.routing import ANSWER, PASSAGE_TOPIC, Decision

# Words that point back at what was just discussed ("which journal was that in?").
_POINTS_BACK = re.compile(
    r"\b(that|those|this|these|it|its|they|them|their|there|instead|same|what about|how about|"
    r"the study|the trial|the paper|the research|the treatment|the procedure|the patients)\b",
    re.IGNORECASE)
# Words that carry on from it but may also open a question of its own ("and who introduced ...?").
_CARRIES_ON = re.compile(r"^\W*(ok(ay)?\W+)?(and|also|so|but|or|plus)\b|\b(too|also|either)\W*$",
                         re.IGNORECASE)
# "What about PRP instead?": the same question about another subject.
_NEW_SUBJECT = re.compile(r"\b(what about|how about|instead|rather than|compared to|versus|vs\.?)\b",
                          re.IGNORECASE)
# A message with at most this many content words cannot stand alone ("how many patients?").
SHORT_WORDS = 3
# A message that names its own subject, answered at least this confidently, stands alone
# when it has no word that refers back or is long enough to carry its own subject.
SELF_CONTAINED_MIN = 0.5
LONG_WORDS = 6
# BM25 a sentence of the study just quoted must reach for a message declined alone to be its follow-up.
HELD_BY_STUDY_MIN = 6.0


# The treatments and conditions a visitor may mean by "it" (name shown -> how it is written).
SUBJECTS = {
    "prolotherapy": re.compile(r"\bprolo\w*", re.IGNORECASE),
    "PRP": re.compile(r"\bprp\b|\bplatelet", re.IGNORECASE),
    "a steroid injection": re.compile(r"\bsteroids?\b|\bcortisone\b", re.IGNORECASE),
    "SI joint fusion": re.compile(r"\bfusions?\b|\bfused\b", re.IGNORECASE),
    "radiofrequency ablation": re.compile(r"\bradiofrequency\b|\brfa\b|\bablation\b", re.IGNORECASE),
    "physical therapy": re.compile(r"\bphysical therap\w*|\bphysio\w*", re.IGNORECASE),
    "manipulation": re.compile(r"\bmanipulat\w*", re.IGNORECASE),
    "a disc herniation": re.compile(r"\bdisc\b|\bherniat\w*", re.IGNORECASE),
}
# One thing referred back to ("how many sessions does it take?"); "they" and "those" are
# more often the patients of the study just quoted.
_ONE_THING = re.compile(r"\b(it|this one|that one|the treatment|the procedure|the injections?|the shots?)\b",
                        re.IGNORECASE)
# A follow-up about the study or the source ("who wrote it?"), not about one of the treatments.
_ABOUT_SOURCE = re.compile(r"\b(study|studies|trial|paper|research|journal|published|wrote|written|authors?|"
                           r"doctors?|researchers?|patients|people|participants|reference|source)\b",
                           re.IGNORECASE)
_YEAR = re.compile(r"\b(?:19|20)\d\d\b")
# Words that ask about both at once: no need to ask which.
_BOTH = re.compile(r"\b(both|either|each|which|compare\w*|better|worse|versus|vs\.?|difference|differ)\b",
                   re.IGNORECASE)


@dataclass(frozen=True)
class Context:
    """What the last answer was about."""

    question: str  # the visitor's words it answered
    topic: str  # the FAQ it was answered with, or "passage" for one sentence of the article
    sentence: int | None = None  # with "passage": that sentence's number (assistant.answering.sentences)
    # The study its quotes cite first (a reference number): "which journal was that in?" asks about the
    # study the visitor just read, which may be a neighbour of the FAQ's own first source.
    study: int | None = None


def first_study(sources: list[dict[str, object]] | tuple[dict[str, object], ...]) -> int | None:
    """The reference number the first quote with one cites (a reply's ``sources``)."""
    return next((ref for source in sources if isinstance(ref := source.get("ref"), int)), None)


def context_after(question: str, reply: Reply) -> Context | None:
    """The context an answer leaves for the next message; nothing else leaves one."""
    if reply.kind != "answer":
        return None
    study = first_study(reply.sources)
    if reply.topic in faq_index():
        return Context(question, reply.topic, study=study)
    number = (reply.extra.get("sentence") or {}).get("number")
    return Context(question, PASSAGE_TOPIC, int(number), study) if isinstance(number, int) else None


def points_back(text: str) -> bool:
    """The message refers to what was just said ("why that one?", "is it painful?")."""
    return bool(_POINTS_BACK.search(text))


def is_short(text: str) -> bool:
    return len(tokens(text)) <= SHORT_WORDS


def answers_alone(text: str, own: Decision, context: Context) -> bool:
    """The message has a subject of its own: an FAQ other than the last, or one sentence of the article."""
    if own.kind == ANSWER and own.topic != context.topic and own.confidence >= SELF_CONTAINED_MIN:
        return True
    return sentence_answer(text) is not None


# Capitalised words of the article that say nothing about which study is meant.
_NOT_A_NAME = frozenset(
    "another won name park frank magic bullet destined disrepute friendly service system school reserved "
    "rights referring reviews insights north northern national international academy american america "
    "hospital division department institute clinic suite appointment syndrome tendon retrospective "
    "complementary accuracy affairs hernia orthopaedic surgeons prolotherapist discectomy microdiscectomy "
    "jan feb mar apr jun jul aug sep oct dec".split())
# A name matches a visitor's word that extends it or that it extends by a few letters
# ("German" for "Germany", "Korean" for "Korea"), when both are at least NAME_PREFIX long.
NAME_PREFIX = 5
NAME_ENDING = 3


@cache
def study_names() -> frozenset[str]:
    """Words that name one study (an author, a place, a journal): the article's proper names.

    Capitalised words the article never writes in lower case, outside the
    start of a sentence or in its reference list ("Steadman", "Toronto",
    "Hauser", "Japanese"), less the generic ones (_NOT_A_NAME). Acronyms are
    left out: they name a treatment or a test ("PRP", "MRI"), not a study.
    """
    article = get_article(None)
    lower = set(re.findall(r"\b[a-z][a-zA-Z]+\b", article.text))
    inside = re.findall(r"(?<=[a-z,;'’] )[A-Z][a-z][a-zA-Z]+\b", article.text)
    cited = re.findall(r"\b[A-Z][a-z][a-zA-Z]+\b", " ".join(article.references.values()))
    return frozenset(w.lower() for w in (*inside, *cited) if w.lower() not in lower) - _NOT_A_NAME


@lru_cache(maxsize=4096)
def _name_of(word: str) -> str | None:
    """The article's name a visitor's word stands for ("german" -> "germany"), if any.

    Cached: every follow-up reads the answer before's words through it too.
    """
    names = study_names()
    if word in names:
        return word
    if len(word) < NAME_PREFIX:
        return None
    return next((n for n in sorted(names) if len(n) >= NAME_PREFIX and abs(len(n) - len(word)) <= NAME_ENDING
                 and (n.startswith(word) or word.startswith(n))), None)


def names_in(text: str) -> set[str]:
    """The article's names (study_names) a text uses."""
    found = (_name_of(word.lower()) for word in re.findall(r"[A-Za-z]+", text))
    return {name for name in found if name}


def names_a_study(text: str) -> bool:
    """The message says which study it means: a year, a treatment, or a name from the article."""
    return bool(_YEAR.search(text) or subjects_in(text) or names_in(text))


def context_text(context: Context) -> str:
    """What the answer before said: its question, its FAQ's words and quotes with their citations."""
    article = get_article(None)
    parts = [context.question]
    faq = faq_index().get(context.topic)
    if faq is not None:
        parts += [faq.title, faq.answer]
        parts += [f"{s.quote} {article.references.get(s.ref or 0, '')}" for s in faq.sources]
    elif context.sentence is not None:
        index = index_for(article)
        if 0 <= context.sentence < len(index.sentences):
            parts.append(index.sentences[context.sentence].text)
    return " ".join(parts)


def about_the_same_study(text: str, context: Context) -> bool:
    """The message names the study the answer before was about ("the German doctors" after Germany's)."""
    named = names_in(text)
    return bool(named) and named <= names_in(context_text(context)) and not subjects_in(text)


def stands_alone(text: str, own: Decision, context: Context) -> bool:
    """Whether the message is answered as it would be alone, not as a follow-up.

    In turn: a word that points back ("that", "it", "instead") makes it a
    follow-up unless it is long and answerable on its own; so does naming the
    study the answer was about ("the German doctors"), unless answerable on
    its own; a short question about a study's particulars that names no
    study ("how many patients took part?") always; a word that carries on
    ("and ...?", "... too?") or a short message, unless it names a study the
    answer before did not (a name, a year) or is answerable on its own; and
    a message declined alone that a sentence of the study just quoted holds.
    """
    if points_back(text):
        return len(tokens(text)) >= LONG_WORDS and answers_alone(text, own, context)
    if about_the_same_study(text, context) and not answers_alone(text, own, context):
        return False  # alone it would be declined; it asks on about the study just discussed
    short = is_short(text)
    if short and _ABOUT_SOURCE.search(text) and not names_a_study(text):
        return False  # the FAQ it resembles alone ("how many treatments") would answer another question
    if _CARRIES_ON.search(text) or short:
        return names_another_study(text, context) or answers_alone(text, own, context)
    # Alone it would be declined, and the study just quoted reports it: a follow-up.
    return not (own.kind != ANSWER and not names_another_study(text, context)
                and not answers_alone(text, own, context) and held_by_the_study_before(text, context))


def held_by_the_study_before(text: str, context: Context) -> bool:
    """A sentence reporting the study the answer before cited matches the message well.

    "How many needed medical attention for SI pain after?", right after an
    answer quoting the German decompression study, names neither the study
    nor anything that points back, and alone it is declined; the study's own
    sentence "22 patients required medical attention ..." holds it.
    """
    if context.study is None:
        return False
    index = index_for(get_article(None))
    scores = index.scores(text)
    return any(scores[s.number] >= HELD_BY_STUDY_MIN for s in index.sentences if context.study in s.refs)


def names_another_study(text: str, context: Context) -> bool:
    """ "ok and what did the 2017 Colorado paper say?": a name or year the answer before never mentioned."""
    before = context_text(context)
    years = set(_YEAR.findall(text)) - set(_YEAR.findall(before))
    return bool(years or names_in(text) - names_in(before))


def followup_reply(text: str, own: Decision, context: Context | None) -> Reply | None:
    """The answer to a follow-up in this context; None when the message is not one."""
    if context is None or not text.strip():
        return None
    if context.topic not in faq_index() and context.sentence is None:
        return None
    if stands_alone(text, own, context):
        return None
    which = which_one(text, context)
    if which is not None:
        return which
    faqs = faq_index()
    if context.topic not in faqs:
        reply = _near_sentence_reply(text if tokens(text) else context.question, context)
        return _marked(reply, context) if reply else None
    question = text if tokens(text) else context.question
    reply = faq_reply(faqs[context.topic], None, question=question, followup=True, study=context.study)
    if (_NEW_SUBJECT.search(text) and own.kind == ANSWER and own.topic in faqs and own.topic != context.topic
            and not _quotes_all_of(reply, text)):
        # "What about PRP instead?": the same question about PRP, unless the answer before speaks of it.
        reply = faq_reply(faqs[own.topic], round(own.confidence, 4), question=f"{context.question} {text}")
    return _marked(reply, context)


def _quotes_all_of(reply: Reply, text: str) -> bool:
    """The reply's first quote holds the content words of the text ("pulsed radiofrequency").

    Words that point back or name a new subject ("instead", "what about")
    are not counted; of three or more words one may be missing ("turned out").
    """
    words = set(tokens(_POINTS_BACK.sub(" ", _NEW_SUBJECT.sub(" ", text))))
    if not words or not reply.sources:
        return False
    missing = words - set(tokens(reply.sources[0]["quote"]))
    return len(missing) <= (1 if len(words) >= 3 else 0)


def subjects_in(text: str) -> list[str]:
    """The treatments and conditions (SUBJECTS) a text names, in SUBJECTS order."""
    return [name for name, pattern in SUBJECTS.items() if pattern.search(text)]


def which_one(text: str, context: Context) -> Reply | None:
    """ "Do you mean PRP or a steroid injection?" for a follow-up that could mean either.

    The answer before named two subjects (its question or its FAQ's title:
    "PRP vs steroid injections"), and the follow-up refers to one thing
    ("how many sessions does it take?") without naming it or asking about
    both. The options are the follow-up with each subject named, so a click
    sends a question that stands alone.
    """
    faq = faq_index().get(context.topic)
    named = subjects_in(f"{context.question} {faq.title if faq else ''}")
    if (len(named) < 2 or subjects_in(text) or _BOTH.search(text) or _ABOUT_SOURCE.search(text)
            or not _ONE_THING.search(text)):
        return None
    options = tuple(_ONE_THING.sub(name, text, count=1) for name in named[:2])
    return _marked(Reply("clarify", context.topic, text=f"Do you mean {named[0]} or {named[1]}?",
                         options=options, extra={"subjects": named[:2]}), context)


def _near_sentence_reply(question: str, context: Context) -> Reply | None:
    """After a sentence answer: the sentence around it that best answers the follow-up."""
    index = index_for(get_article(None))
    if context.sentence is None or not 0 <= context.sentence < len(index.sentences):
        return None
    scores = index.detail_scores(question)
    near = index.around({index.sentences[context.sentence].line})
    best = max(near, key=lambda s: scores[s.number], default=None)
    if best is None or scores[best.number] <= 0:
        return None
    return sentence_reply(best, None)


def _marked(reply: Reply, context: Context) -> Reply:
    """The reply, saying which question it was read as a follow-up to (staff see it in the transcript)."""
    followup_to: dict[str, object] = {"question": context.question[:200], "topic": context.topic}
    if context.sentence is not None:
        followup_to["sentence"] = context.sentence
    if context.study is not None:
        followup_to["study"] = context.study
    return replace(reply, extra={**reply.extra, "followup_to": followup_to})


def context_through_which_one(custom: dict[str, object]) -> Context | None:
    """The context a which-one question keeps for the click or reply that answers it.

    "Do you mean PRP or a steroid injection?" is no answer, so by itself it
    would end the context; the visitor's choice ("does PRP hurt?") is still a
    follow-up of the answer before it, which the question carries in ``followup_to``.
    """
    before = custom.get("followup_to")
    if custom.get("kind") != "clarify" or not custom.get("subjects") or not isinstance(before, dict):
        return None
    question, topic, sentence = before.get("question"), before.get("topic"), before.get("sentence")
    study = before.get("study") if isinstance(before.get("study"), int) else None
    if not isinstance(question, str) or not isinstance(topic, str):
        return None
    if topic == PASSAGE_TOPIC:
        return Context(question, topic, sentence, study) if isinstance(sentence, int) else None
    return Context(question, topic, study=study) if topic in faq_index() else None
