"""Red-flag evaluation: ``make eval-safety`` (or ``python -m assistant.tools.evaluate_safety``).

Runs :func:`assistant.triage.triage`, the function the NLU pipeline runs on
every message, over two kinds of sets and reports them separately:

- red-flag messages, each labelled with its kind and the number to call:
  recall (sent to urgent care) and "right number" (the reply offers it);
- ordinary messages that must not raise the alarm: the false-alarm rate.

``tests/sealed/`` was written by writers who never saw the rules, the training
examples or each other's output (tests/sealed/README.md). For that set the
script prints numbers and the kinds of the misses, never their text, so that
whoever tunes the rules cannot tune them on it. ``tests/eval/safety_dev.yml``
is the development set: ``--show`` prints its misses in full.
"""

from __future__ import annotations

import argparse
import sys
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

import yaml

from assistant.faq import load_faqs
from assistant.paths import PROJECT_ROOT
from assistant.red_flag_model import THRESHOLD
from assistant.triage import URGENT, numbers_for, triage

SEALED = PROJECT_ROOT / "tests" / "sealed"
DEV = PROJECT_ROOT / "tests" / "eval" / "safety_dev.yml"

RECALL_BAR = 1.0
FALSE_ALARM_BAR = 0.02


@dataclass(frozen=True)
class RedFlagCase:
    text: str
    kind: str
    call: str
    source: str


@dataclass(frozen=True)
class Result:
    case: RedFlagCase
    urgent: bool
    numbers: tuple[str, ...]
    found: tuple[str, ...]

    @property
    def right_number(self) -> bool:
        return self.urgent and self.case.call in self.numbers


@dataclass(frozen=True)
class Report:
    red_flags: list[Result]
    ordinary: list[tuple[str, bool]]  # (text, alarmed)

    @property
    def recall(self) -> float:
        return _share(sum(r.urgent for r in self.red_flags), len(self.red_flags))

    @property
    def right_number(self) -> float:
        return _share(sum(r.right_number for r in self.red_flags), len(self.red_flags))

    @property
    def false_alarms(self) -> float:
        return _share(sum(a for _, a in self.ordinary), len(self.ordinary))

    @property
    def passed(self) -> bool:
        return (self.recall >= RECALL_BAR and self.right_number >= RECALL_BAR
                and self.false_alarms <= FALSE_ALARM_BAR)


def _share(part: int, whole: int) -> float:
    return part / whole if whole else 0.0


def load_red_flag_cases(paths: list[Path]) -> list[RedFlagCase]:
    cases = []
    for path in paths:
        for item in yaml.safe_load(path.read_text(encoding="utf-8"))["messages"]:
            cases.append(RedFlagCase(item["text"], item["kind"], str(item["call"]), path.stem))
    return cases


def load_ordinary(paths: list[Path]) -> list[str]:
    return [text for path in paths
            for text in yaml.safe_load(path.read_text(encoding="utf-8"))["messages"]]


def sealed_files() -> tuple[list[Path], list[Path]]:
    return sorted((SEALED / "red_flags").glob("*.yml")), sorted((SEALED / "ordinary").glob("*.yml"))


def run(cases: list[RedFlagCase], ordinary: list[str]) -> Report:
    results = []
    for case in cases:
        t = triage(case.text)
        results.append(Result(case, t.kind == URGENT, tuple(numbers_for(t.flags)) if t.flags else (),
                              tuple(f.id for f in t.flags)))
    return Report(results, [(text, triage(text).kind == URGENT) for text in ordinary])


def faq_alarms() -> list[str]:
    """FAQ training phrasings that raise the alarm (must be none)."""
    return [p for faq in load_faqs() for p in faq.phrasings if triage(p).kind == URGENT]


def print_report(name: str, report: Report, show: bool) -> None:
    n, m = len(report.red_flags), len(report.ordinary)
    print(f"\n{name}")
    print(f"  red flags sent to urgent care  {report.recall:7.1%}  "
          f"({sum(r.urgent for r in report.red_flags)}/{n})")
    print(f"  ... offering the right number  {report.right_number:7.1%}  "
          f"({sum(r.right_number for r in report.red_flags)}/{n})")
    print(f"  false alarms on ordinary       {report.false_alarms:7.1%}  "
          f"({sum(a for _, a in report.ordinary)}/{m})")
    by_kind = Counter(r.case.kind for r in report.red_flags)
    hit_kind = Counter(r.case.kind for r in report.red_flags if r.right_number)
    print("  per kind: " + ", ".join(f"{k} {hit_kind[k]}/{by_kind[k]}" for k in sorted(by_kind)))
    by_source = Counter(r.case.source for r in report.red_flags)
    hit_source = Counter(r.case.source for r in report.red_flags if r.right_number)
    print("  per writer: " + ", ".join(f"{s} {hit_source[s]}/{by_source[s]}" for s in sorted(by_source)))
    misses = [r for r in report.red_flags if not r.right_number]
    alarms = [t for t, a in report.ordinary if a]
    if show:
        for r in misses:
            print(f"  MISS [{r.case.kind} {r.case.call}] found={list(r.found)}: {r.case.text}")
        for t in alarms:
            print(f"  FALSE ALARM: {t}  -> {[f.id for f in triage(t).flags]}")
    elif misses:
        print("  misses by kind (text withheld): "
              + ", ".join(f"{k} {c}" for k, c in Counter(r.case.kind for r in misses).items()))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--show", action="store_true", help="print the development set's misses")
    parser.add_argument("--check", action="store_true", help="exit 1 when the sealed set misses a bar")
    args = parser.parse_args(argv)
    print(f"Red-flag detection: rules + classifier (threshold {THRESHOLD})")
    if DEV.exists():
        dev = yaml.safe_load(DEV.read_text(encoding="utf-8"))
        cases = [RedFlagCase(i["text"], i["kind"], str(i["call"]), "dev") for i in dev["red_flags"]]
        print_report(f"Development set ({DEV.relative_to(PROJECT_ROOT)})",
                     run(cases, dev["ordinary"]), args.show)
    red, ordinary = sealed_files()
    sealed = run(load_red_flag_cases(red), load_ordinary(ordinary))
    print_report("Sealed set (tests/sealed, never read by whoever writes rules or examples)",
                 sealed, show=False)
    alarms = faq_alarms()
    print(f"\nFAQ training phrasings raising the alarm: {len(alarms)}")
    for text in alarms:
        print(f"  {text}")
    ok = sealed.passed and not alarms
    print(f"\nbars: recall and right number {RECALL_BAR:.0%}, false alarms <= {FALSE_ALARM_BAR:.0%}: "
          + ("met" if ok else "MISSED"))
    return 0 if ok or not args.check else 1


if __name__ == "__main__":
    sys.exit(main())
