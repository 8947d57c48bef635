"""Checks that run on every visitor message before any FAQ matching.

Red flags are found in two layers. The rules (``data/safety/red_flags.yml``)
are precise and can be read and reviewed by a clinician; the learned layer
(:mod:`assistant.red_flag_model`) catches what people in distress write in
words no rule foresaw. Either one is enough to send the visitor to urgent care.
The check runs once, inside the NLU pipeline; the action server reads its
result from the parse data, so routing and the message always agree.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import yaml

from assistant.clinic import load_clinic
from assistant.paths import RED_FLAGS_FILE
from assistant.text import asks, fold, fold_accents

# Longer messages are refused politely: nobody types a question that long, and
# matching a novel-length paste against every FAQ wastes the server's time.
MAX_MESSAGE_CHARS = 2000
MODEL_MAX_CHARS = 20_000

URGENT = "urgent"  # emergency, crisis or soon: the urgent reply comes first
DIAGNOSIS = "diagnosis"
EMPTY = "empty"
TOO_LONG = "too_long"
NO_WORDS = "no_words"
OVERDOSE = "overdose"

# Grades of the catalogue (data/safety/red_flags.yml), most urgent first: a
# message with signs of several grades gets the first one's reply.
CRISIS = "crisis"
EMERGENCY = "emergency"
SOON = "soon"
CHECKIN = "checkin"
GRADES = (CRISIS, EMERGENCY, SOON, CHECKIN)
# Grades whose reply replaces the answer (SOON adds the answer after it);
# CHECKIN answers as usual and adds one supportive line.
URGENT_GRADES = frozenset({CRISIS, EMERGENCY, SOON})
ALARM_GRADES = frozenset({CRISIS, EMERGENCY})  # 911 or 988 first


# Requests to diagnose the visitor or read their scans: declined by rule, since
# such messages are full of words the FAQ classifier knows ("disc", "MRI").
_DIAGNOSIS_REQUESTS = tuple(re.compile(p) for p in (
    r"\bhere(?:'s| is| are) my (?:mri|x-?rays?|ct|scans?|reports?|results|imaging|images|labs?)\b",
    r"\b(?:read|interpret|look at|review|check|explain) my (?:mri|x-?rays?|ct|scans?|reports?|results"
    r"|imaging|images|labs?)\b",
    r"\bdo i (?:have|suffer from) (?:si|sacroiliac|sij)\b",
))


_SENTENCES = re.compile(r"(?<=[.?!])\s+|\n")


@dataclass(frozen=True)
class RedFlag:
    id: str
    label: str
    grade: str  # one of GRADES
    patterns: tuple[re.Pattern[str], ...]
    unless: tuple[re.Pattern[str], ...] = ()
    # Kinds the learned layer may not add when this kind's rule matched: a mild
    # fever the rules read as lasting days is not upgraded to "fever" by a guess.
    overrides: tuple[str, ...] = ()
    # Patterns read the whole message, not sentence by sentence: "I had colon
    # cancer. Now I'm losing weight and my back hurts" tells it in two.
    whole_message: bool = False
    # A guess of this kind by the learned layer alone is dropped when one of
    # these matches the message ("this pain will be the death of me" is not a
    # crisis); the rules of the kind still apply.
    learned_unless: tuple[re.Pattern[str], ...] = ()

    def matches(self, text: str) -> bool:
        """A pattern matches in a sentence that no ``unless`` pattern covers.

        ``unless`` keeps a rule quiet on a sentence that asks about a symptom
        ("can SI problems cause bladder issues?") or tells an old story ("a
        car accident in 2015"); the learned layer still reads the message.
        """
        if self.whole_message:
            return any(self._told(text, match) for p in self.patterns for match in p.finditer(text))
        for sentence in _SENTENCES.split(text):
            if any(p.search(sentence) for p in self.patterns) \
                    and not any(u.search(sentence) for u in self.unless):
                return True
        return False

    def _told(self, text: str, match: re.Match[str]) -> bool:
        """A whole-message match counts unless a sentence it starts or ends in is covered.

        "I had breast cancer in 2015. What does PRP cost? My back wakes me at
        night": the question in between does not cancel the sign, while "Can
        cancer cause back pain at night?" (one sentence that asks) still does.
        """
        ends = {_sentence_at(text, match.start()), _sentence_at(text, max(match.end() - 1, match.start()))}
        return not any(u.search(sentence) for sentence in ends for u in self.unless)


def _sentence_at(text: str, position: int) -> str:
    """The sentence (as ``_SENTENCES`` cuts the text) that holds ``position``."""
    start = 0
    for cut in _SENTENCES.finditer(text):
        if cut.start() > position:
            break
        start = cut.end()
    end = next((cut.start() for cut in _SENTENCES.finditer(text, position)), len(text))
    return text[start:end]


@dataclass(frozen=True)
class Triage:
    """What the message is before anything else: urgent, unusable, or fine."""

    kind: str | None  # URGENT, DIAGNOSIS, EMPTY, TOO_LONG, NO_WORDS or None
    flags: tuple[RedFlag, ...] = ()  # CHECKIN flags alone leave ``kind`` None
    score: float | None = None  # the learned layer's urgency score, when it ran
    by: tuple[str, ...] = ()     # which layers found a sign: "rules", "model"

    @property
    def level(self) -> str | None:
        """The grade of the reply: the most urgent grade among the flags."""
        return level_of(self.flags)

    def as_dict(self) -> dict[str, object]:
        """What the NLU pipeline passes on to the action server and the logs."""
        return {"kind": self.kind, "flags": [f.id for f in self.flags], "level": self.level,
                "score": None if self.score is None else round(self.score, 3), "by": list(self.by)}


def level_of(flags: tuple[RedFlag, ...]) -> str | None:
    """The most urgent grade among ``flags`` (GRADES order), or None."""
    grades = {flag.grade for flag in flags}
    return next((grade for grade in GRADES if grade in grades), None)


def numbers_for(flags: tuple[RedFlag, ...]) -> list[str]:
    """Every number the reply offers, the one to call first at the front.

    An overdose may have been taken on purpose, so its reply gives the crisis
    line after 911; a crisis reply gives 911 for immediate danger; "see a
    doctor soon" gives the clinic's offices, then 911 should it get worse.
    """
    clinic = load_clinic()
    level = level_of(flags)
    if level == CRISIS:
        return [clinic.crisis_line, clinic.emergency_number]
    if level == SOON:
        return [*(office.phone for office in clinic.offices), clinic.emergency_number]
    if level == CHECKIN:
        return [clinic.crisis_line]
    if any(flag.id == OVERDOSE for flag in flags):
        return [clinic.emergency_number, clinic.crisis_line]
    return [clinic.emergency_number] if flags else []


@lru_cache(maxsize=4)
def load_red_flags(path: Path = RED_FLAGS_FILE) -> tuple[RedFlag, ...]:
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    shared = data.get("unless") or {}
    return tuple(
        RedFlag(
            id=item["id"],
            label=item["label"],
            grade=_grade(item),
            patterns=tuple(re.compile(p) for p in [*item["patterns"], *(item.get("spanish") or [])]),
            unless=tuple(re.compile(p) for name in item.get("unless") or [] for p in shared[name]),
            overrides=tuple(item.get("overrides") or ()),
            whole_message=bool(item.get("whole_message", False)),
            learned_unless=tuple(re.compile(p) for name in item.get("learned_unless") or []
                                 for p in shared[name]),
        )
        for item in data["flags"]
    )


def _grade(item: dict[str, object]) -> str:
    grade = str(item.get("grade"))
    if grade not in GRADES:
        raise ValueError(f"red flag {item.get('id')!r}: grade {grade!r} is not one of {GRADES}")
    return grade


def red_flags(text: str) -> tuple[RedFlag, ...]:
    """The rules layer alone."""
    norm = fold_accents(text)
    return tuple(flag for flag in load_red_flags() if flag.matches(norm))


def flags_by_id(ids: list[str] | tuple[str, ...]) -> tuple[RedFlag, ...]:
    known = {flag.id: flag for flag in load_red_flags()}
    return tuple(known[i] for i in ids if i in known)


def in_file_order(flags: tuple[RedFlag, ...]) -> tuple[RedFlag, ...]:
    """Flags in the order of the rules file, so replies read the same every time."""
    return tuple(flag for flag in load_red_flags() if flag in flags)


@lru_cache(maxsize=256)  # the NLU pipeline asks twice per message (QuestionFromDistress, TriageOverride)
def triage(text: str | None, use_model: bool = True) -> Triage:
    """Classify a raw visitor message; urgent signs win over everything else.

    A red flag buried in a 20,000-character paste still counts, so the rules
    scan the whole text before the length check (the learned layer reads the
    first MODEL_MAX_CHARS, which is ten times the longest message answered).
    """
    text = text or ""
    flags = red_flags(text)
    by = ("rules",) if flags else ()
    score = None
    if use_model and any(ch.isalpha() for ch in text):
        from assistant.red_flag_model import load_model

        result = load_model().score(_without_final_punctuation(text[:MODEL_MAX_CHARS]))
        score = result.urgent
        if result.flagged():
            overridden = {kind for flag in flags for kind in flag.overrides}
            folded = fold_accents(text)
            # A kind the rules overrode weighs nothing in the learned grade: a fever that the
            # lasting_fever rule read as days old does not lend its weight to the emergency grade.
            kinds = tuple(kp for kp in result.kinds if kp[0] not in overridden)
            likely = tuple(k for k in result.likely_kinds() if k not in overridden)
            guessed = learned_flags(kinds, likely, weakest=WEAK_GUESS if flags else 0.0)
            learned = _kept_guesses(guessed, folded, flags)
            if learned:
                flags = in_file_order(flags + learned)
                by = (*by, "model")
    if level_of(flags) in URGENT_GRADES:
        return Triage(URGENT, flags, score, by)
    return Triage(input_problem(text), flags, score, by)


_FINAL_PUNCTUATION = re.compile(r"[.!]+\s*$")
# In a longer message a final full stop is a small share of the features, and the model was
# trained with it: stripped there too, a sealed red flag (saddle numbness) fell under the threshold.
_SHORT_MESSAGE_WORDS = 8


def _without_final_punctuation(text: str) -> str:
    """A short message without the punctuation that ends it, as the learned layer reads it.

    A final full stop weighed as much as a word in a short message: "Yes.",
    "Thanks." and "Hello." scored 0.7-0.9 for self-harm and "Fusion." for
    an infection (its character n-grams and spaCy vector end almost every long
    urgent example), while "yes" scored 0. 51 of 3,063 short everyday and FAQ
    messages with a full stop got a 911 or 988 reply (2026-12-07); none now.
    The message keeps its punctuation inside, and the rules read it as typed.
    """
    if len(text.split()) > _SHORT_MESSAGE_WORDS:
        return text
    return _FINAL_PUNCTUATION.sub("", text) or text


# When the rules found a sign, the learned layer adds a kind of another grade only
# if some kind of that grade has at least this probability: "losing weight while
# eating, back aches at night" (a soon rule) spread a little probability over many
# emergency kinds (chest pain 0.07) and was sent to 911 on the sum.
WEAK_GUESS = 0.1


def _kept_guesses(guessed: tuple[RedFlag, ...], folded: str,
                  flags: tuple[RedFlag, ...]) -> tuple[RedFlag, ...]:
    """The learned layer's kinds that count: not already found by the rules, not excused.

    (Kinds the rules override never reach here: triage leaves them out of the grade.)
    When the strongest guess is excused by its ``learned_unless`` ("loose motions from
    wedding food" read as bladder_bowel), the weaker guesses of its grade are dropped
    too: they were the same misreading, spread over neighbouring kinds.
    """
    def excused(flag: RedFlag) -> bool:
        return any(p.search(folded) for p in flag.learned_unless)

    if guessed and excused(guessed[0]):
        return ()
    return tuple(f for f in guessed if f not in flags and not excused(f))


def learned_flags(kinds: tuple[tuple[str, float], ...], likely: tuple[str, ...],
                  weakest: float = 0.0) -> tuple[RedFlag, ...]:
    """The learned layer's kinds, all of one grade: the grade with the most probability.

    The classifier spreads a message over several kinds ("I'm exhausted from
    fighting this": distress 0.5, self_harm 0.3). Summed by grade, the message
    is read as the grade it is most likely to be, so weariness gets the
    check-in and not the crisis script; on a tie the more urgent grade wins.
    The rules layer's flags are added on top, whatever their grade.
    """
    known = {flag.id: flag for flag in load_red_flags()}
    mass = dict.fromkeys(GRADES, 0.0)
    for kind, probability in kinds:
        if kind in known:
            mass[known[kind].grade] += probability
    grade = max(GRADES, key=lambda g: (mass[g], -GRADES.index(g)))
    best = max((kp for kp in kinds if kp[0] in known and known[kp[0]].grade == grade),
               key=lambda kp: kp[1], default=None)
    if best is None or best[1] < weakest:
        return ()
    chosen = tuple(known[k] for k in likely if k in known and known[k].grade == grade)
    return chosen or (known[best[0]],)


DISTRESS = "distress"  # the catalogue's check-in kind: weariness and low mood, no plan or means
_QUESTION_MIN_WORDS = 3


def without_distress(text: str, checkin: bool = False) -> str:
    """The message without its sentences of weariness, when a question remains.

    "I'm worn down to nothing. How many prolo sessions would I need?": the
    classifiers read the first sentence as something no FAQ covers and the
    whole message as out of scope, so the visitor got a decline and the 988
    line instead of the answer (issue 28's check-in: the answer, then the
    line). Sentences the distress rules match are set aside and, when triage
    read the message as a check-in (``checkin``, by the rules or the learned
    layer), so are the other sentences that ask nothing ("I've been fobbed off
    for years."), if one that asks remains. Only the answer layer reads this
    text; triage reads the whole message, so a sign in a sentence set aside
    still counts.
    """
    found = flags_by_id([DISTRESS])
    if not found:
        return text
    distress = found[0]
    sentences = [s for s in _SENTENCES.split(text) if s.strip()]
    kept = [s for s in sentences if not distress.matches(fold_accents(s))]
    if len(kept) == len(sentences) and not checkin:
        return text  # no sentence of weariness
    if checkin:
        asking = [s for s in kept if asks(s)]
        kept = asking or kept
    if sum(len(s.split()) for s in kept) < _QUESTION_MIN_WORDS:
        return text
    return " ".join(kept)


def input_problem(text: str | None) -> str | None:
    """EMPTY, TOO_LONG, NO_WORDS or DIAGNOSIS for a message that is not urgent; else None.

    The action server uses this alone to word its reply: it needs no model.
    """
    text = text or ""
    if not text.strip():
        return EMPTY
    if len(text) > MAX_MESSAGE_CHARS:
        return TOO_LONG
    if not any(ch.isalnum() for ch in text):
        # Emoji, punctuation, symbols. Digits alone are allowed: a phone number
        # typed into the booking form has no letters.
        return NO_WORDS
    if is_diagnosis_request(text):
        return DIAGNOSIS
    return None


def is_diagnosis_request(text: str) -> bool:
    norm = fold(text)
    return any(p.search(norm) for p in _DIAGNOSIS_REQUESTS)
