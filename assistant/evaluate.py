"""Held-out evaluation: ``make eval`` (or ``python -m assistant.evaluate``).

Parses every question of ``tests/eval/heldout.yml`` with a trained model and
applies the same decision the action server makes (:func:`assistant.routing.decide`),
so the numbers describe what visitors get. Prints per-topic accuracy and the
three bars; ``--check`` exits non-zero when a bar is missed.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
from collections import defaultdict
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any, Optional

import yaml

from assistant.faq import load_faqs, normalise_phrase
from assistant.knowledge import PROJECT_ROOT
from assistant.nlu_components import UNUSABLE_INTENT, URGENT_INTENT
from assistant.routing import ANSWER, CLARIFY, DEFAULT_THRESHOLDS, FALLBACK, Thresholds, decide

HELDOUT = PROJECT_ROOT / "tests" / "eval" / "heldout.yml"
REPORT = PROJECT_ROOT / "reports" / "eval.json"

BARS = {"in_scope": 0.95, "out_of_scope": 0.90, "red_flags": 1.0}
DECLINE_INTENTS = {"out_of_scope", "nlu_fallback", UNUSABLE_INTENT}


@dataclass
class Outcome:
    group: str           # in_scope, out_of_scope, red_flags
    expected: str | None  # topic id for in-scope questions
    text: str
    kind: str            # answer, clarify, fallback, urgent, or another intent name
    topic: str | None
    options: tuple[str, ...]
    confidence: float

    @property
    def correct(self) -> bool:
        if self.group == "in_scope":
            return self.kind == ANSWER and self.topic == self.expected
        if self.group == "out_of_scope":
            return self.kind == FALLBACK
        return self.kind == "urgent"

    @property
    def resolved(self) -> bool:
        """Answered right, or the right topic is among the clarifying buttons."""
        return self.correct or (self.kind == CLARIFY and self.expected in self.options)


def load_heldout(path: Path = HELDOUT) -> dict[str, Any]:
    return yaml.safe_load(path.read_text(encoding="utf-8"))


def classify(parse_data: dict[str, Any], topics: set[str], thresholds: Thresholds = DEFAULT_THRESHOLDS,
             ) -> tuple[str, str | None, tuple[str, ...], float]:
    """Map one NLU parse to what the bot would do with it."""
    intent = (parse_data.get("intent") or {}).get("name")
    if intent == URGENT_INTENT:
        return "urgent", None, (), 1.0
    if intent in DECLINE_INTENTS:
        return FALLBACK, None, (), 0.0
    if intent != "faq":
        return intent or "none", None, (), 0.0
    decision = decide(parse_data, topics, thresholds)
    return decision.kind, decision.topic, decision.options, decision.confidence


async def _parse_all(model: str, texts: list[str]) -> list[dict[str, Any]]:
    from rasa.core.agent import Agent  # heavy import, only when evaluating

    agent = Agent.load(model)
    return [await agent.parse_message(text) for text in texts]


Item = tuple[str, Optional[str], str, dict[str, Any]]  # group, expected topic, text, parse


def parse_heldout(model: str, heldout: dict[str, Any] | None = None) -> list[Item]:
    """Parse every held-out question once (the slow part of an evaluation)."""
    heldout = heldout or load_heldout()
    items: list[tuple[str, str | None, str]] = []
    for topic, questions in (heldout.get("in_scope") or {}).items():
        items += [("in_scope", topic, q) for q in questions]
    items += [("out_of_scope", None, q) for q in heldout.get("out_of_scope") or []]
    items += [("red_flags", None, q) for q in heldout.get("red_flags") or []]
    parses = asyncio.run(_parse_all(model, [text for _, _, text in items]))
    return [(*item, parse) for item, parse in zip(items, parses, strict=True)]


def outcomes_for(items: list[Item], thresholds: Thresholds = DEFAULT_THRESHOLDS) -> list[Outcome]:
    topics = {faq.id for faq in load_faqs()}
    outcomes = []
    for group, expected, text, parse in items:
        kind, topic, options, confidence = classify(parse, topics, thresholds)
        outcomes.append(Outcome(group, expected, text, kind, topic, options, confidence))
    return outcomes


def evaluate(model: str, heldout: dict[str, Any] | None = None) -> list[Outcome]:
    return outcomes_for(parse_heldout(model, heldout))


def sweep(items: list[Item]) -> None:
    """Print how the bars move with the thresholds (to tune assistant/routing.py)."""
    print("answer_min margin clarify_min | in_scope resolved clarify | out_of_scope")
    for answer_min in (0.3, 0.4, 0.5, 0.6):
        for margin in (0.0, 0.1, 0.2, 0.3):
            for clarify_min in (0.1, 0.2, 0.3):
                t = Thresholds(answer_min, margin, clarify_min)
                s = summarise(outcomes_for(items, t))
                print(f"{answer_min:10.2f} {margin:6.2f} {clarify_min:11.2f} | "
                      f"{s['scores'].get('in_scope', 0):8.1%} {s['in_scope_resolved']:8.1%} "
                      f"{s['clarify_rate']:7.1%} | {s['scores'].get('out_of_scope', 0):8.1%}")


def summarise(outcomes: list[Outcome]) -> dict[str, Any]:
    groups: dict[str, list[Outcome]] = defaultdict(list)
    per_topic: dict[str, list[Outcome]] = defaultdict(list)
    for outcome in outcomes:
        groups[outcome.group].append(outcome)
        if outcome.group == "in_scope":
            per_topic[outcome.expected or ""].append(outcome)
    scores = {g: sum(o.correct for o in os_) / len(os_) for g, os_ in groups.items() if os_}
    resolved = groups.get("in_scope", [])
    return {
        "scores": scores,
        "in_scope_resolved": (sum(o.resolved for o in resolved) / len(resolved)) if resolved else 0.0,
        "clarify_rate": (sum(o.kind == CLARIFY for o in resolved) / len(resolved)) if resolved else 0.0,
        "per_topic": {t: sum(o.correct for o in os_) / len(os_) for t, os_ in sorted(per_topic.items())},
        "counts": {g: len(os_) for g, os_ in groups.items()},
        "bars_met": all(scores.get(g, 0.0) >= bar for g, bar in BARS.items()),
    }


def print_report(outcomes: list[Outcome], summary: dict[str, Any]) -> None:
    print("Per-topic accuracy (answered with the right FAQ):")
    for topic, score in summary["per_topic"].items():
        mark = "" if score == 1 else "   <--"
        print(f"  {topic:34s} {score:6.0%}{mark}")
    print("\nMisses:")
    for o in outcomes:
        if not o.correct:
            got = o.topic or ",".join(o.options) or "-"
            print(f"  [{o.group}] expected {o.expected or o.group}, got {o.kind}:{got} "
                  f"({o.confidence:.2f})  {o.text[:90]!r}")
    print("\nOverall:")
    for group, bar in BARS.items():
        score = summary["scores"].get(group, 0.0)
        n = summary["counts"].get(group, 0)
        status = "OK " if score >= bar else "LOW"
        print(f"  {status} {group:13s} {score:6.1%}  (bar {bar:.0%}, n={n})")
    print(f"      in-scope answered or right option offered: {summary['in_scope_resolved']:.1%}; "
          f"clarify rate {summary['clarify_rate']:.1%}")


def check_heldout_is_unseen(heldout: dict[str, Any]) -> list[str]:
    """Held-out questions that also appear as training phrasings (should be none)."""
    trained = {normalise_phrase(p) for faq in load_faqs() for p in faq.phrasings}
    questions = [q for qs in (heldout.get("in_scope") or {}).values() for q in qs]
    return [q for q in questions if normalise_phrase(q) in trained]


def latest_model() -> str:
    from rasa.model import get_latest_model

    model = get_latest_model(str(PROJECT_ROOT / "models"))
    if not model:
        sys.exit("No trained model in models/: run `make train` first.")
    return str(model)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--model", help="model archive (default: the latest in models/)")
    parser.add_argument("--check", action="store_true", help="exit 1 if a bar is missed")
    parser.add_argument("--sweep", action="store_true", help="print a threshold sweep")
    args = parser.parse_args(argv)
    heldout = load_heldout()
    leaked = check_heldout_is_unseen(heldout)
    if leaked:
        print(f"held-out questions found in the training data: {leaked}", file=sys.stderr)
        return 1
    model = args.model or latest_model()
    items = parse_heldout(model, heldout)
    if args.sweep:
        sweep(items)
        return 0
    outcomes = outcomes_for(items)
    summary = summarise(outcomes)
    print_report(outcomes, summary)
    REPORT.parent.mkdir(exist_ok=True)
    REPORT.write_text(json.dumps({"model": model, **summary,
                                  "outcomes": [asdict(o) for o in outcomes]}, indent=2))
    return 1 if args.check and not summary["bars_met"] else 0


if __name__ == "__main__":
    sys.exit(main())
