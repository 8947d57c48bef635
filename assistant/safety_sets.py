"""The written red-flag sets: who wrote them, where they live, how they are read.

Two uses, kept apart on purpose:

- the **development sets** (``tests/eval/safety_dev*.yml``), written by
  independent writers from the article alone, are read while tuning and,
  since 2026-12-07, are also examples for the learned layer
  (:mod:`assistant.red_flag_model`): 1,321 red flags, 1,810 look-alikes and
  303 check-in cases (2026-12-07) in visitors' own words teach it more than the rules'
  authors could write;
- the **sealed sets** (``tests/sealed/``) are never read by whoever tunes or
  trains: ``make eval-safety`` prints their numbers and the kinds of their
  misses only (tests/sealed/README.md).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from assistant.paths import PROJECT_ROOT, RED_FLAGS_FILE

SEALED = PROJECT_ROOT / "tests" / "sealed"
# Issue 12's sealed set: red flags labelled with kind and number only.
SEALED_1 = (SEALED / "red_flags", SEALED / "ordinary")
# Issue 28's sealed sets: red flags with their grade, ordinary messages and check-in cases.
# (Its first one, safety_2, was read while tuning and is development set 4 now.)
SEALED_GRADED = {n: SEALED / f"safety_{n}" for n in (3, 4, 5, 6, 7, 8)}
DEV = PROJECT_ROOT / "tests" / "eval" / "safety_dev.yml"
# Graded development sets (issue 28's format), one file per writer.
DEV_GRADED = sorted((PROJECT_ROOT / "tests" / "eval").glob("safety_dev_*.yml"))
# Development sets the learned layer does not train on. The rules were tuned on them; they
# measure the learned layer out of sample (sets 9 to 12). (Set 9, trained on, cost a sealed red
# flag its grade.)
DEV_HELDOUT = sorted((PROJECT_ROOT / "tests" / "eval").glob("safety_heldout_*.yml"))


def _catalogue() -> dict[str, Any]:
    return yaml.safe_load(RED_FLAGS_FILE.read_text(encoding="utf-8"))


def catalogue_grades() -> tuple[str, ...]:
    """The grades the red-flag catalogue names (a set's labels must be among them)."""
    return tuple(_catalogue()["grades"])


def checkin_kind() -> str:
    """The catalogue's kind graded ``checkin`` (distress): the label check-in cases train under."""
    return next(item["id"] for item in _catalogue()["flags"] if item.get("grade") == "checkin")


@dataclass(frozen=True)
class RedFlagCase:
    text: str
    kind: str
    call: str
    source: str
    grade: str | None = None  # None in issue 12's set, which has kinds and numbers only


def load_red_flag_cases(paths: list[Path]) -> list[RedFlagCase]:
    """Issue 12's format: ``messages: [{text, kind, call}]``."""
    cases = []
    for path in paths:
        for item in yaml.safe_load(path.read_text(encoding="utf-8"))["messages"]:
            cases.append(RedFlagCase(item["text"], item["kind"], str(item["call"]), path.stem))
    return cases


def load_ordinary(paths: list[Path]) -> list[str]:
    return [text for path in paths
            for text in yaml.safe_load(path.read_text(encoding="utf-8"))["messages"]]


@dataclass
class GradedSet:
    """Issue 28's format, also read by ../shared/eval/score_replies.py:
    ``urgent: [{q, kind, grade, call}]``, ``not_urgent: [{q}]``, ``checkin: [{q, expect_any}]``."""

    red_flags: list[RedFlagCase] = field(default_factory=list)
    ordinary: list[str] = field(default_factory=list)
    checkin: list[str] = field(default_factory=list)

    def add(self, path: Path) -> GradedSet:
        data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
        for item in data.get("urgent") or []:
            grade = str(item["grade"])
            if grade not in catalogue_grades():
                raise ValueError(f"{path.name}: unknown grade {grade!r}")
            self.red_flags.append(RedFlagCase(item["q"], item["kind"], str(item["call"]), path.stem, grade))
        self.ordinary += [item["q"] for item in data.get("not_urgent") or []]
        self.checkin += [item["q"] for item in data.get("checkin") or []]
        return self


def load_graded(paths: list[Path]) -> GradedSet:
    graded = GradedSet()
    for path in paths:
        graded.add(path)
    return graded


def sealed_files() -> tuple[list[Path], list[Path]]:
    """Issue 12's sealed files: (red flags, ordinary)."""
    red, ordinary = SEALED_1
    return sorted(red.glob("*.yml")), sorted(ordinary.glob("*.yml"))


def sealed_graded_files(number: int = 3) -> list[Path]:
    """The writers' files of graded sealed set ``number`` (a key of SEALED_GRADED)."""
    return sorted(SEALED_GRADED[number].glob("*.yml"))


def development_files() -> list[Path]:
    """Every development set file (the learned layer's data hash covers them)."""
    return [DEV, *DEV_GRADED]


def heldout_set() -> GradedSet:
    """The development sets the learned layer does not train on (DEV_HELDOUT)."""
    return load_graded(DEV_HELDOUT)


def development_set() -> tuple[list[RedFlagCase], list[str], list[str]]:
    """All development sets together: (red flags, ordinary, check-in)."""
    dev = yaml.safe_load(DEV.read_text(encoding="utf-8"))
    cases = [RedFlagCase(i["text"], i["kind"], str(i["call"]), "dev") for i in dev["red_flags"]]
    ordinary = list(dev["ordinary"])
    checkin: list[str] = []
    graded = load_graded(DEV_GRADED)
    cases += graded.red_flags
    ordinary += graded.ordinary
    checkin += graded.checkin
    return cases, ordinary, checkin
