"""Held-out evaluation: ``make eval`` (or ``python -m assistant.tools.evaluate``).

Parses every question of ``tests/eval/heldout.yml`` (the development set) with a
trained model and applies the same decision the action server makes
(:func:`assistant.routing.decide`), so the numbers describe what visitors get.
Prints per-topic accuracy, the misses and the three bars; ``--check`` exits
non-zero when a development bar is missed.

Then two sets written by independent writers who never saw the training
phrasings (six personas each): development set 2 (``tests/eval/visitors/``,
open) and the sealed set (``tests/sealed/questions/``): numbers only, overall
and per writer, never texts or topics, so nobody tunes on the sealed one. A
clarifying question that offers the right topic is counted apart, never as a
hit.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
import sys
from collections import defaultdict
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any, Optional

import yaml

from assistant.faq import faq_index, load_faqs
from assistant.knowledge import MAIN_ARTICLE
from assistant.nlu_components import UNUSABLE_INTENT, URGENT_INTENT
from assistant.passages import Passage, default_passage_retriever
from assistant.passages import enabled as passages_enabled
from assistant.paths import PROJECT_ROOT
from assistant.retrieval import default_retriever
from assistant.routing import ANSWER, CLARIFY, DEFAULT_THRESHOLDS, FALLBACK, PASSAGE_TOPIC, Thresholds, decide
from assistant.served import current_model, index_faqs
from assistant.text import collapse_space, phrase_key

HELDOUT = PROJECT_ROOT / "tests" / "eval" / "heldout.yml"
# Development set 2: written like the sealed set by independent writers, but
# open (it was read while building the evaluation); tune on it freely.
VISITORS_DEV = PROJECT_ROOT / "tests" / "eval" / "visitors"
# Development set 3: four more writers (2026-12-05), two with in-scope
# questions only, two with out-of-scope near-misses only; open like set 2.
VISITORS_DEV_3 = PROJECT_ROOT / "tests" / "eval" / "visitors_3"
OPEN_SETS = (VISITORS_DEV, VISITORS_DEV_3)
SEALED_QUESTIONS = PROJECT_ROOT / "tests" / "sealed" / "questions"
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
    covers: frozenset[str] = frozenset()  # a passage answer: the FAQs that quote that passage

    @property
    def correct(self) -> bool:
        """A passage answer is right when the expected FAQ rests on the same passage (quotes overlap)."""
        if self.group == "in_scope":
            return self.kind == ANSWER and (self.topic == self.expected
                                            or (self.topic == PASSAGE_TOPIC and self.expected in self.covers))
        if self.group == "out_of_scope":
            return self.kind == FALLBACK
        return self.kind == "urgent"

    @property
    def resolved(self) -> bool:
        """Answered right, or the right topic is among the clarifying buttons."""
        return self.correct or (self.kind == CLARIFY and self.expected in self.options)


def load_heldout(path: Path = HELDOUT) -> dict[str, Any]:
    return yaml.safe_load(path.read_text(encoding="utf-8"))


def faqs_quoting(passage: Passage) -> frozenset[str]:
    """The FAQs with a source quote inside this passage, or containing it."""
    return frozenset(faq.id for faq in faq_index().values() for source in faq.sources
                     if (source.article or MAIN_ARTICLE) == passage.article
                     and (collapse_space(source.quote) in passage.text
                          or passage.text in collapse_space(source.quote)))


def classify(parse_data: dict[str, Any], topics: set[str], thresholds: Thresholds = DEFAULT_THRESHOLDS,
             index_topics: frozenset[str] = frozenset(), passages: bool | None = None,
             ) -> tuple[str, str | None, tuple[str, ...], float, frozenset[str]]:
    """Map one NLU parse to what the bot would do with it.

    ``index_topics``: FAQs the evaluated release answers from the retrieval
    index alone (assistant.served), as the action server does. The last item
    is, for a passage answer, the FAQs that quote that passage.
    """
    intent = (parse_data.get("intent") or {}).get("name")
    if intent == URGENT_INTENT:
        return "urgent", None, (), 1.0, frozenset()
    if intent in DECLINE_INTENTS or intent == "faq":
        decision = decide(parse_data, topics, thresholds, retriever=default_retriever(),
                          index_topics=index_topics,
                          passages=default_passage_retriever() if (
                              passages_enabled() if passages is None else passages) else None)
        covers = faqs_quoting(decision.passage) if decision.passage is not None else frozenset()
        if intent == "faq" or decision.kind == ANSWER:
            return decision.kind, decision.topic, decision.options, decision.confidence, covers
        return FALLBACK, None, (), 0.0, frozenset()
    return intent or "none", None, (), 0.0, frozenset()


async def _parse_all(model: str, texts: list[str]) -> list[dict[str, Any]]:
    from rasa.core.agent import Agent  # heavy import, only when evaluating
    from rasa.utils.log_utils import configure_structlog

    # Rasa's structured log prints every parsed text at debug level: the
    # sealed questions must never reach the terminal.
    configure_structlog(logging.WARNING)
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


def outcomes_for(items: list[Item], thresholds: Thresholds = DEFAULT_THRESHOLDS,
                 index_topics: frozenset[str] = frozenset(), passages: bool | None = None) -> list[Outcome]:
    topics = {faq.id for faq in load_faqs()}
    outcomes = []
    for group, expected, text, parse in items:
        outcomes.append(Outcome(group, expected, text,
                                *classify(parse, topics, thresholds, index_topics, passages)))
    return outcomes


def evaluate(model: str, heldout: dict[str, Any] | None = None,
             index_topics: frozenset[str] = frozenset()) -> list[Outcome]:
    return outcomes_for(parse_heldout(model, heldout), index_topics=index_topics)


def sweep(dev_sets: list[list[Item]]) -> None:
    """Print how every development set moves with the thresholds (to tune assistant/routing.py)."""
    names = " | ".join(f"dev{n} in / resolved / out" for n in range(1, len(dev_sets) + 1))
    print(f"answer_min agreed_min margin clarify_min | {names} | all in / all out (counts)")
    for answer_min in (0.25, 0.3, 0.35, 0.4, 0.5):
        for agreed_min in (0.15, 0.2, 0.25, 1.0):
            for margin in (0.0, 0.05, 0.1, 0.2):
                for clarify_min in (0.25, 0.3):
                    t = Thresholds(answer_min, margin, clarify_min, min(agreed_min, answer_min))
                    agreed = f"{agreed_min:10.2f}" if agreed_min < 1 else "       off"
                    print(f"{answer_min:10.2f} {agreed} {margin:6.2f} {clarify_min:11.2f}"
                          + _sweep_cells(dev_sets, t))


def _sweep_cells(dev_sets: list[list[Item]], thresholds: Thresholds) -> str:
    row, right = "", {"in_scope": 0, "out_of_scope": 0}
    for items in dev_sets:
        outcomes = outcomes_for(items, thresholds)
        s = summarise(outcomes)
        row += (f" | {s['scores'].get('in_scope', 0):6.1%} {s['in_scope_resolved']:6.1%} "
                f"{s['scores'].get('out_of_scope', 0):6.1%}")
        for group in right:
            right[group] += sum(o.correct for o in outcomes if o.group == group)
    return row + f" | {right['in_scope']} / {right['out_of_scope']}"


def passage_sweep(dev1: list[Item], dev2: list[Item]) -> None:
    """Print how both development sets move with the passage-answer thresholds (assistant/routing.py)."""
    from assistant import routing

    print("\npassage_min margin | dev1 in_scope out_of_scope passages | dev2 in_scope out_of_scope passages")
    wide = frozenset({routing.FAQ_INTENT, routing.OUT_OF_SCOPE_INTENT, routing.FALLBACK_INTENT})
    settings = [(None, None, routing.PASSAGE_INTENTS)] + [
        (m, g, i) for i in (routing.PASSAGE_INTENTS, wide)
        for m in (0.5, 0.6, 0.7, 0.8, 0.9) for g in (0.2, 0.5)]
    saved = routing.PASSAGE_MIN, routing.PASSAGE_MARGIN, routing.PASSAGE_INTENTS
    try:
        for minimum, margin, intents in settings:
            row = "   off          " if minimum is None else f"{minimum:11.2f} {margin:6.2f} {len(intents)}"
            if minimum is not None:
                routing.PASSAGE_MIN, routing.PASSAGE_MARGIN = minimum, margin
                routing.PASSAGE_INTENTS = intents
            for items in (dev1, dev2):
                s = summarise(outcomes_for(items, passages=minimum is not None))
                row += (f" | {s['scores'].get('in_scope', 0):8.1%} {s['scores'].get('out_of_scope', 0):8.1%} "
                        f"{sum(s['passage_answers'].values()):4d}")
            print(row, flush=True)
    finally:
        routing.PASSAGE_MIN, routing.PASSAGE_MARGIN, routing.PASSAGE_INTENTS = saved


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
        "passage_answers": {g: sum(o.topic == PASSAGE_TOPIC for o in os_) for g, os_ in groups.items()},
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
    print_passage_answers(summary)


def print_passage_answers(summary: dict[str, Any]) -> None:
    passages = summary["passage_answers"]
    print("      answered with an article passage (no FAQ fitted): " + ", ".join(
        f"{group} {passages.get(group, 0)}" for group in ("in_scope", "out_of_scope", "red_flags")
        if group in summary["counts"]))


def known_texts() -> set[str]:
    """Every text the model was trained on or the thresholds were tuned on, normalised."""
    known = {phrase_key(p) for faq in load_faqs() for p in faq.phrasings}
    for path in (PROJECT_ROOT / "data" / "nlu").glob("*.yml"):
        for block in yaml.safe_load(path.read_text(encoding="utf-8")).get("nlu") or []:
            lines = (block.get("examples") or "").splitlines()
            known |= {phrase_key(line.strip()[2:]) for line in lines if line.strip().startswith("- ")}
    heldout = load_heldout()
    known |= {phrase_key(q) for qs in (heldout.get("in_scope") or {}).values() for q in qs}
    known |= {phrase_key(q) for q in heldout.get("out_of_scope") or []}
    return known


def load_writer_sets(directory: Path = SEALED_QUESTIONS) -> dict[str, dict[str, Any]]:
    """writer -> a set shaped like heldout.yml (in_scope by topic, out_of_scope, near_miss).

    A question whose words are exactly those of a training phrasing or of the
    development set (short keyword queries can coincide) measures nothing
    unseen: it is left out and counted in ``excluded``.
    """
    known = known_texts()
    # The open development sets are tuned on too: a set leaves out the texts of
    # the open sets written before it (the sealed set, those of all of them).
    earlier = OPEN_SETS[:OPEN_SETS.index(directory)] if directory in OPEN_SETS else OPEN_SETS
    for open_set in earlier:
        known |= {phrase_key(item["text"]) for path in open_set.glob("*.yml")
                  for group in ("in_scope", "out_of_scope")
                  for item in yaml.safe_load(path.read_text(encoding="utf-8")).get(group) or []}
    sets: dict[str, dict[str, Any]] = {}
    for path in sorted(directory.glob("*.yml")):
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
        items = [*(data.get("in_scope") or []), *(data.get("out_of_scope") or [])]
        fresh = [item for item in items if phrase_key(item["text"]) not in known]
        in_scope: dict[str, list[str]] = defaultdict(list)
        for item in fresh:
            if "faq" in item:
                in_scope[item["faq"]].append(item["text"])
        outside = [item for item in fresh if "faq" not in item]
        sets[data.get("writer") or path.stem] = {
            "in_scope": dict(in_scope),
            "out_of_scope": [item["text"] for item in outside],
            "near_miss": [item["text"] for item in outside if item.get("near_miss")],
            "excluded": len(items) - len(fresh),
        }
    return sets


def parse_writer_sets(model: str, sets: dict[str, dict[str, Any]]) -> dict[str, list[Item]]:
    """Parse every question of a writers' set with one model load; items per writer."""
    tagged: list[tuple[str, str, str | None, str]] = []  # writer, group, topic, text
    for writer, questions in sets.items():
        tagged += [(writer, "in_scope", topic, q) for topic, qs in questions["in_scope"].items() for q in qs]
        tagged += [(writer, "out_of_scope", None, q) for q in questions["out_of_scope"]]
    parses = asyncio.run(_parse_all(model, [text for *_, text in tagged]))
    items: dict[str, list[Item]] = {writer: [] for writer in sets}
    for (writer, group, topic, text), parse in zip(tagged, parses, strict=True):
        items[writer].append((group, topic, text, parse))
    return items


def writer_sets_summary(model: str, sets: dict[str, dict[str, Any]],
                        index_topics: frozenset[str] = frozenset()) -> dict[str, Any]:
    """Numbers for a set by several writers: overall, per writer, near-misses apart."""
    parsed = parse_writer_sets(model, sets)
    per_writer = {}
    everything: list[Outcome] = []
    near_miss: list[Outcome] = []
    for writer, questions in sets.items():
        items = parsed[writer]
        outcomes = outcomes_for(items, index_topics=index_topics)
        everything += outcomes
        near = set(questions["near_miss"])
        near_miss += [o for o in outcomes if o.group == "out_of_scope" and o.text in near]
        per_writer[writer] = summarise(outcomes)
    summary = summarise(everything)
    summary["near_miss_declined"] = (sum(o.correct for o in near_miss) / len(near_miss)) if near_miss else 0.0
    summary["near_miss_count"] = len(near_miss)
    summary["excluded"] = sum(questions["excluded"] for questions in sets.values())
    summary["per_writer"] = {w: {"in_scope": s["scores"].get("in_scope"),
                                 "out_of_scope": s["scores"].get("out_of_scope")}
                             for w, s in per_writer.items()}
    in_scope = [o for o in everything if o.group == "in_scope"]
    summary["clarify_right_option"] = (sum(o.kind == CLARIFY and o.expected in o.options for o in in_scope)
                                       / len(in_scope)) if in_scope else 0.0
    summary["wrong_topic"] = (sum(o.kind == ANSWER and not o.correct for o in in_scope)
                              / len(in_scope)) if in_scope else 0.0
    summary["declined_in_scope"] = (sum(o.kind == FALLBACK for o in in_scope) / len(in_scope)
                                    if in_scope else 0.0)
    return summary


def print_writer_sets(summary: dict[str, Any], title: str) -> None:
    counts = summary["counts"]
    print(f"\n{title} ({len(summary['per_writer'])} writers; numbers only; "
          f"{summary['excluded']} left out as identical to training or development texts):")
    for group in ("in_scope", "out_of_scope"):
        score = summary["scores"].get(group, 0.0)
        status = "OK " if score >= BARS[group] else "LOW"
        print(f"  {status} {group:13s} {score:6.1%}  (bar {BARS[group]:.0%}, n={counts.get(group, 0)})")
    print(f"      in-scope: clarify offering the right topic {summary['clarify_right_option']:.1%} "
          f"(not a hit), wrong topic answered {summary['wrong_topic']:.1%}, "
          f"declined {summary['declined_in_scope']:.1%}")
    print(f"      out-of-scope near-misses declined {summary['near_miss_declined']:.1%} "
          f"(n={summary['near_miss_count']})")
    print_passage_answers(summary)
    print("      per writer (in-scope / out-of-scope): " + ", ".join(
        f"{w} {_share(s['in_scope'])}/{_share(s['out_of_scope'])}" for w, s in summary["per_writer"].items()))


def _share(score: float | None) -> str:
    """A writer who wrote no question of a group gets a dash, not 0%."""
    return "-" if score is None else f"{score:.0%}"


def check_heldout_is_unseen(heldout: dict[str, Any]) -> list[str]:
    """Held-out questions that also appear as training phrasings (should be none)."""
    trained = {phrase_key(p) for faq in load_faqs() for p in faq.phrasings}
    questions = [q for qs in (heldout.get("in_scope") or {}).values() for q in qs]
    return [q for q in questions if phrase_key(q) in trained]


def latest_model() -> str:
    """The served model (the one the running bot answers with)."""
    model = current_model()
    if model is None:
        sys.exit("No trained model in models/: run `make train` first.")
    return str(model)


# What visitors add to a question; `make eval ARGS=--noise` asks development set 1 each way.
NOISE = {
    "as written": lambda text: text,
    "'???' at the end": lambda text: text.rstrip("?!. ") + "???",
    "'!!' at the end": lambda text: text.rstrip("?!. ") + "!!",
    "'...' at the end": lambda text: text.rstrip("?!. ") + "...",
    "' :(' at the end": lambda text: f"{text} :(",
    "an emoji at the end": lambda text: f"{text} \U0001f61f",
    "' thanks' at the end": lambda text: f"{text} thanks",
    "'hi, ' before": lambda text: f"hi, {text}",
    "in capitals": lambda text: text.upper(),
    "'[12]' at the end": lambda text: f"{text} [12]",
}


def noise_report(model: str, heldout: dict[str, Any]) -> None:
    """In-scope answers of development set 1 with each kind of visitor noise added."""
    questions = [(topic, text) for topic, texts in heldout["in_scope"].items() for text in texts]
    texts = [variant(text) for variant in NOISE.values() for _, text in questions]
    parses = asyncio.run(_parse_all(model, texts))
    topics = {faq.id for faq in load_faqs()}
    print(f"Development set 1, in-scope questions (n={len(questions)}) answered with the right FAQ:")
    for number, name in enumerate(NOISE):
        chunk = parses[number * len(questions):(number + 1) * len(questions)]
        right = sum(classify(parse, topics)[:2] == (ANSWER, topic)
                    for (topic, _), parse in zip(questions, chunk, strict=True))
        print(f"  {name:24s} {right / len(questions):6.1%}  ({right})")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--model", help="model archive (default: the latest in models/)")
    parser.add_argument("--check", action="store_true", help="exit 1 if a bar is missed")
    parser.add_argument("--sweep", action="store_true", help="print a threshold sweep")
    parser.add_argument("--passage-sweep", action="store_true",
                        help="print a sweep of the passage-answer thresholds (development sets)")
    parser.add_argument("--noise", action="store_true",
                        help="development set 1's in-scope questions with visitor noise added")
    args = parser.parse_args(argv)
    heldout = load_heldout()
    leaked = check_heldout_is_unseen(heldout)
    if leaked:
        print(f"held-out questions found in the training data: {leaked}", file=sys.stderr)
        return 1
    model = args.model or latest_model()
    if args.noise:
        noise_report(model, heldout)
        return 0
    # The served release may answer FAQs its model does not know yet (assistant.served).
    newest = current_model()
    index = index_faqs() if newest and Path(model).resolve() == newest.resolve() else frozenset()
    if index:
        print(f"FAQs answered from the retrieval index alone in this release: {', '.join(sorted(index))}")
    items = parse_heldout(model, heldout)
    if args.sweep or args.passage_sweep:
        dev2, dev3 = ([item for writer_items in parse_writer_sets(model, load_writer_sets(path)).values()
                       for item in writer_items] for path in OPEN_SETS)
        if args.passage_sweep:
            passage_sweep(items, dev2)
        else:
            sweep([items, dev2, dev3])
        return 0
    outcomes = outcomes_for(items, index_topics=index)
    summary = summarise(outcomes)
    print_report(outcomes, summary)
    numbers: dict[str, Any] = {}
    for key, directory, title in (
            ("visitors", VISITORS_DEV, "Development set 2 (tests/eval/visitors)"),
            ("visitors_3", VISITORS_DEV_3, "Development set 3 (tests/eval/visitors_3)"),
            ("sealed", SEALED_QUESTIONS, "Sealed set (tests/sealed/questions, never tuned on)")):
        sets = load_writer_sets(directory)
        if sets:
            numbers[key] = writer_sets_summary(model, sets, index)
            print_writer_sets(numbers[key], title)
    REPORT.parent.mkdir(exist_ok=True)
    REPORT.write_text(json.dumps({"model": model, **summary, **numbers,
                                  "outcomes": [{**asdict(o), "covers": sorted(o.covers)} for o in outcomes]},
                              indent=2))
    return 1 if args.check and not summary["bars_met"] else 0


if __name__ == "__main__":
    sys.exit(main())
