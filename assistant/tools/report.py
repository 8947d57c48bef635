"""Evaluation report files: Markdown plus PNG plots under ``reports/<model>/``.

Per-FAQ precision and recall (an FAQ "predicted" means the bot answered with
it), the confusions, a confidence histogram, and per-FAQ changes against the
served model's scores.
"""

from __future__ import annotations

from collections import Counter
from pathlib import Path
from typing import Any

from assistant.reply_kinds import ReplyKind
from assistant.tools.evaluate import BARS, Outcome


def precision_recall(outcomes: list[Outcome]) -> dict[str, tuple[float | None, float, int]]:
    """topic -> (precision or None if never answered, recall, number of questions)."""
    expected = Counter(o.expected for o in outcomes if o.group == "in_scope")
    answered = Counter(o.topic for o in outcomes if o.kind == ReplyKind.ANSWER and o.topic)
    hits = Counter(o.expected for o in outcomes if o.group == "in_scope" and o.correct)
    return {topic: (hits[topic] / answered[topic] if answered[topic] else None, hits[topic] / n, n)
            for topic, n in sorted(expected.items()) if topic}


def confusions(outcomes: list[Outcome]) -> Counter[tuple[str, str]]:
    wrong = Counter()
    for o in outcomes:
        if not o.correct:
            got = o.topic if o.kind == ReplyKind.ANSWER else o.kind
            wrong[(o.expected or o.group, got or "-")] += 1
    return wrong


def _plots(directory: Path, outcomes: list[Outcome], pairs: Counter[tuple[str, str]]) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    figure, axis = plt.subplots(figsize=(7, 4))
    right = [o.confidence for o in outcomes if o.correct]
    wrong = [o.confidence for o in outcomes if not o.correct]
    axis.hist([right, wrong], bins=20, range=(0, 1), stacked=True, label=["correct", "wrong"],
              color=["#1e6b2e", "#a4161a"])
    axis.set_xlabel("top FAQ confidence")
    axis.set_ylabel("held-out questions")
    axis.legend()
    figure.tight_layout()
    figure.savefig(directory / "confidence.png", dpi=100)
    plt.close(figure)

    figure, axis = plt.subplots(figsize=(8, max(2.5, 0.35 * len(pairs) + 1)))
    labels = [f"{e} → {g}" for (e, g), _ in pairs.most_common(20)][::-1]
    axis.barh(labels or ["none"], [n for _, n in pairs.most_common(20)][::-1] or [0], color="#0b4f8a")
    axis.set_xlabel("questions")
    axis.set_title("Confusions (expected → got)")
    figure.tight_layout()
    figure.savefig(directory / "confusions.png", dpi=100)
    plt.close(figure)


def write_report(directory: Path, outcomes: list[Outcome], summary: dict[str, Any],
                 previous: dict[str, Any] | None = None,
                 faq_ids: list[str] | None = None) -> tuple[Path, str]:
    """Write report.md and the plots; return its path and a short terminal summary."""
    directory.mkdir(parents=True, exist_ok=True)
    pairs = confusions(outcomes)
    _plots(directory, outcomes, pairs)
    scores = summary["scores"]
    old_scores = (previous or {}).get("scores", {})
    lines = ["## Summary", ""]
    for group, bar in BARS.items():
        mark = "OK " if scores.get(group, 0.0) >= bar else "LOW"
        change = f" (served: {old_scores[group]:.1%})" if group in old_scores else ""
        lines.append(f"- {mark} {group}: {scores.get(group, 0.0):.1%}, bar {bar:.0%}{change}")
    old_topics = (previous or {}).get("per_topic", {})
    changed = [(t, old_topics[t], s) for t, s in summary["per_topic"].items()
               if t in old_topics and abs(old_topics[t] - s) > 1e-9]
    new_topics = [t for t in summary["per_topic"] if previous and t not in old_topics]
    for topic, old, new in changed:
        lines.append(f"- {'better' if new > old else 'worse'}: {topic} {old:.0%} → {new:.0%}")
    for topic in new_topics:
        lines.append(f"- new FAQ: {topic} {summary['per_topic'][topic]:.0%}")
    if previous and not changed and not new_topics:
        lines.append("- no FAQ changed against the served model")
    untested = sorted(set(faq_ids or []) - set(summary["per_topic"]))
    if untested:
        lines.append(f"- no held-out questions: {', '.join(untested)} "
                     "(add some to tests/eval/heldout.yml)")
    terminal = "\n".join(lines)

    lines += ["", "## Per FAQ", "", "| FAQ | questions | precision | recall |", "|---|---|---|---|"]
    for topic, (precision, recall, n) in precision_recall(outcomes).items():
        shown = "-" if precision is None else f"{precision:.0%}"
        lines.append(f"| {topic} | {n} | {shown} | {recall:.0%} |")
    lines += ["", "## Confusions (expected → got)", "", "| expected | got | questions |", "|---|---|---|"]
    lines += [f"| {e} | {g} | {n} |" for (e, g), n in pairs.most_common()] or ["| none | | |"]
    lines += ["", "![confusions](confusions.png)", "", "## Confidence", "",
              "![confidence](confidence.png)", ""]
    path = directory / "report.md"
    path.write_text("# Evaluation report\n\n" + "\n".join(lines))
    return path, terminal
