"""Checks that run on every visitor message before any FAQ matching.

Red flags are matched with rules, not learned: recall must not depend on how
well a classifier generalises, and a rule can be read and reviewed by a
clinician. The same function runs inside the NLU pipeline (to route the turn)
and in the action server (to pick the message), so both always agree.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import yaml

from assistant.knowledge import PROJECT_ROOT

RED_FLAGS_FILE = PROJECT_ROOT / "data" / "safety" / "red_flags.yml"

# Longer messages are refused politely: nobody types a question that long, and
# matching a novel-length paste against every FAQ wastes the server's time.
MAX_MESSAGE_CHARS = 2000

URGENT = "urgent"
DIAGNOSIS = "diagnosis"
EMPTY = "empty"
TOO_LONG = "too_long"
NO_WORDS = "no_words"


# Requests to diagnose the visitor or read their scans: declined by rule, since
# such messages are full of words the FAQ classifier knows ("disc", "MRI").
_DIAGNOSIS_REQUESTS = tuple(re.compile(p) for p in (
    r"\bhere(?:'s| is| are) my (?:mri|x-?rays?|ct|scans?|reports?|results|imaging|images|labs?)\b",
    r"\b(?:read|interpret|look at|review|check|explain) my (?:mri|x-?rays?|ct|scans?|reports?|results"
    r"|imaging|images|labs?)\b",
    r"\bdo i (?:have|suffer from) (?:si|sacroiliac|sij)\b",
))


@dataclass(frozen=True)
class RedFlag:
    id: str
    label: str
    advice: str  # "emergency" or "crisis"
    patterns: tuple[re.Pattern[str], ...]

    def matches(self, text: str) -> bool:
        return any(p.search(text) for p in self.patterns)


@dataclass(frozen=True)
class Triage:
    """What the message is before anything else: urgent, unusable, or fine."""

    kind: str | None  # URGENT, DIAGNOSIS, EMPTY, TOO_LONG, NO_WORDS or None
    flags: tuple[RedFlag, ...] = ()

    @property
    def advice(self) -> str | None:
        if not self.flags:
            return None
        return "crisis" if any(f.advice == "crisis" for f in self.flags) else "emergency"


@lru_cache(maxsize=4)
def load_red_flags(path: Path = RED_FLAGS_FILE) -> tuple[RedFlag, ...]:
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    return tuple(
        RedFlag(
            id=item["id"],
            label=item["label"],
            advice=item["advice"],
            patterns=tuple(re.compile(p) for p in item["patterns"]),
        )
        for item in data["flags"]
    )


def normalise(text: str) -> str:
    """Lower-case, fold curly apostrophes, collapse whitespace."""
    text = unicodedata.normalize("NFKC", text).lower()
    text = text.replace("\u2019", "'").replace("\u2018", "'")
    return " ".join(text.split())


def red_flags(text: str) -> tuple[RedFlag, ...]:
    norm = normalise(text)
    return tuple(flag for flag in load_red_flags() if flag.matches(norm))


def triage(text: str | None) -> Triage:
    """Classify a raw visitor message; urgent signs win over everything else.

    A red flag buried in a 20,000-character paste still counts, so the scan
    covers the whole text before the length check.
    """
    text = text or ""
    flags = red_flags(text)
    if flags:
        return Triage(URGENT, flags)
    if not text.strip():
        return Triage(EMPTY)
    if len(text) > MAX_MESSAGE_CHARS:
        return Triage(TOO_LONG)
    if not any(ch.isalnum() for ch in text):
        # Emoji, punctuation, symbols. Digits alone are allowed: a phone number
        # typed into the booking form has no letters.
        return Triage(NO_WORDS)
    if is_diagnosis_request(text):
        return Triage(DIAGNOSIS)
    return Triage(None)


def is_diagnosis_request(text: str) -> bool:
    norm = normalise(text)
    return any(p.search(norm) for p in _DIAGNOSIS_REQUESTS)
