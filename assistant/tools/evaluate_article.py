"""Questions written from the article alone, scored offline: ``make eval-article``.

The sets in ``../shared/eval`` format (``in_scope: [{q, expect_any}]``,
``out_of_scope: [{q}]``) are scored the way ``score_replies.py`` scores a running
bot: an in-scope question is a hit when the reply is an answer whose text,
quotes or citations hold one of its verbatim fragments (the detail asked, not
only the topic); an out-of-scope message is a hit when it is declined. Here
the trained model parses each message and the action server's own decision and
reply text (:mod:`assistant.answering`) are applied to the parse, so a run takes
seconds instead of a bot start and a REST round trip per message.

Development sets (``tests/eval/article``, and ``../shared/eval`` when it is
there) print their misses with ``--show``; sealed sets (``tests/sealed/article``, ``article_2``)
print numbers and kinds of misses only, never texts.
"""

from __future__ import annotations

import argparse
import asyncio
import hashlib
import json
import logging
import re
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from assistant.paths import PROJECT_ROOT
from assistant.safety_sets import DEV_GRADED, SEALED_GRADED, development_files
from assistant.served import current_model

SHARED_DEV = PROJECT_ROOT.parent / "shared" / "eval" / "article-questions-dev.yml"
DEV_DIR = PROJECT_ROOT / "tests" / "eval" / "article"
SEALED_DIR = PROJECT_ROOT / "tests" / "sealed" / "article"
# A second article-only set by three new writers (2026-12-07), measured as it landed.
SEALED_DIR_2 = PROJECT_ROOT / "tests" / "sealed" / "article_2"
ARTICLE_2 = "sealed article_2 "
# Issue 30's conversations: the first sealed set (tuned against by numbers many times), and a second
# one by three new writers (2026-12-07).
SEALED_FOLLOWUPS = tuple(PROJECT_ROOT / "tests" / "sealed" / name for name in ("followups", "followups_2"))
# Issue 28: the red-flag sets' check-in cases (distress with a question the
# article answers) must get the answer, not only the 988 line.
SAFETY_DEV = DEV_GRADED
SAFETY_SEALED = tuple(SEALED_GRADED.values())
PARSE_CACHE = PROJECT_ROOT / "var" / "cache" / "article-parses"
DECLINED = {"fallback", "smalltalk", "handoff"}


def norm(text: str) -> str:
    """As score_replies.py compares: whitespace collapsed, lower case."""
    return re.sub(r"\s+", " ", text or "").strip().lower()


@dataclass(frozen=True)
class Scored:
    section: str  # in_scope or out_of_scope
    text: str
    kind: str  # the reply kind the bot would send first (answer, clarify, fallback, urgent, ...)
    topic: str | None
    hit: bool
    as_alone: bool = True  # the last reply is the one the message gets without the turns before

    @property
    def miss_kind(self) -> str:
        """Why a miss missed, in words that reveal nothing of the question."""
        if self.hit:
            return ""
        if self.section == "out_of_scope":
            return f"answered with {self.topic}" if self.kind == "answer" else f"replied {self.kind}"
        if self.kind == "answer":
            return "answered without the detail"
        named = {"fallback": "declined", "clarify": "clarifying question"}
        return named.get(self.kind, f"replied {self.kind}")


SECTIONS = ("in_scope", "out_of_scope", "followups", "standalone", "checkin")


def load_set(path: Path) -> dict[str, list[dict[str, Any]]]:
    data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    return {section: list(data.get(section) or []) for section in SECTIONS}


def turns(item: dict[str, Any]) -> list[str]:
    """The messages of one item in order: ``q``, or ``first``, ``second`` and ``then``."""
    if "q" in item:
        return [item["q"]]
    return [item[key] for key in ("first", "second", "then") if item.get(key)]


def sets_in(directory: Path) -> dict[str, Path]:
    return {path.stem: path for path in sorted(directory.glob("*.yml"))}


# What a parse depends on besides the trained model: the pipeline's own components
# (text tidying, the question set apart from weariness, triage and its rules and
# classifier, the out-of-domain check). A change to any of them makes new parses.
_PARSE_INPUTS = (
    PROJECT_ROOT / "assistant" / "nlu_components.py",
    PROJECT_ROOT / "assistant" / "faq_model.py",
    PROJECT_ROOT / "assistant" / "spanish.py",
    PROJECT_ROOT / "data" / "knowledge" / "spanish_words.yml",
    PROJECT_ROOT / "assistant" / "triage.py",
    PROJECT_ROOT / "assistant" / "text.py",
    PROJECT_ROOT / "assistant" / "red_flag_model.py",
    PROJECT_ROOT / "assistant" / "domain_model.py",
    PROJECT_ROOT / "assistant" / "text_model.py",
    PROJECT_ROOT / "data" / "safety" / "red_flags.yml",
    PROJECT_ROOT / "data" / "safety" / "examples.yml",
    *development_files(),  # the red-flag classifier's examples too (assistant/safety_sets.py)
)


def _cache_path(model: str) -> Path:
    stat = Path(model).stat()
    identity = f"{Path(model).resolve()}:{stat.st_size}:{stat.st_mtime_ns}"
    digest = hashlib.sha256(identity.encode())
    for path in _PARSE_INPUTS:
        digest.update(path.read_bytes() if path.exists() else b"")
    return PARSE_CACHE / f"{digest.hexdigest()[:16]}.json"


def parse_all(model: str, texts: list[str]) -> dict[str, dict[str, Any]]:
    """text -> parse, with parses of this model kept under var/cache (tuning reruns in seconds)."""
    path = _cache_path(model)
    known: dict[str, dict[str, Any]] = json.loads(path.read_text()) if path.exists() else {}
    missing = [text for text in dict.fromkeys(texts) if text not in known]
    if missing:
        known.update(zip(missing, asyncio.run(_parse(model, missing)), strict=True))
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(known))
    return {text: known[text] for text in texts}


async def _parse(model: str, texts: list[str]) -> list[dict[str, Any]]:
    from rasa.core.agent import Agent
    from rasa.utils.log_utils import configure_structlog

    configure_structlog(logging.WARNING)  # Rasa logs parsed texts at debug level; sealed texts stay unseen
    agent = Agent.load(model)
    return [_plain(await agent.parse_message(text)) for text in texts]


def _plain(parse: dict[str, Any]) -> dict[str, Any]:
    """The parse as JSON can keep it (numpy numbers become floats)."""
    return json.loads(json.dumps(parse, default=float))


def score(items: dict[str, list[dict[str, Any]]], parses: dict[str, dict[str, Any]]) -> list[Scored]:
    """Each item's last reply, each conversation's turns answered in the context they leave."""
    from assistant.answering import context_after, reply_for_parse

    scored = []
    for section in SECTIONS:
        for item in items[section]:
            context = None
            for text in turns(item):
                reply = reply_for_parse(parses[text], context)
                context = context_after(text, reply)
            alone = reply_for_parse(parses[text])
            if section == "out_of_scope":
                hit = reply.kind in DECLINED
            else:
                evidence = norm(reply.evidence)
                hit = reply.kind == "answer" and any(norm(f) in evidence for f in item["expect_any"])
            same = (reply.kind, reply.topic, reply.text) == (alone.kind, alone.topic, alone.text)
            scored.append(Scored(section, text, reply.kind, reply.topic, hit, same))
    return scored


def summary_line(name: str, scored: list[Scored]) -> str:
    parts = []
    for section in SECTIONS:
        chosen = [s for s in scored if s.section == section]
        if chosen:
            hits = sum(s.hit for s in chosen)
            parts.append(f"{section} {hits}/{len(chosen)} = {hits / len(chosen):.1%}")
            if section == "standalone":  # issue 30: not read as a follow-up
                same = sum(s.as_alone for s in chosen)
                parts.append(f"as alone {same}/{len(chosen)} = {same / len(chosen):.1%}")
    return f"{name:28s} " + "   ".join(parts)


def miss_kinds(scored: list[Scored]) -> str:
    counts = Counter(f"{s.section}: {s.miss_kind}" for s in scored if not s.hit)
    return ", ".join(f"{kind} {n}" for kind, n in counts.most_common())


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--model", help="model archive (default: the served one)")
    parser.add_argument("--show", action="store_true", help="print the development sets' misses")
    parser.add_argument("--set", action="append", default=[], help="score this development set file too")
    args = parser.parse_args(argv)
    model = args.model or str(current_model() or "")
    if not model:
        raise SystemExit("No trained model in models/: run `make train` first.")
    dev = {"shared dev": SHARED_DEV} if SHARED_DEV.exists() else {}
    dev |= {f"dev {name}": path for name, path in sets_in(DEV_DIR).items()}
    dev |= {f"dev {path.stem}": path for path in SAFETY_DEV}
    dev |= {Path(p).stem: Path(p) for p in args.set}
    sealed = {f"sealed {name}": path for name, path in sets_in(SEALED_DIR).items()}
    sealed |= {f"{ARTICLE_2}{name}": path for name, path in sets_in(SEALED_DIR_2).items()}
    sealed |= {f"sealed {folder.name} {name}": path for folder in SEALED_FOLLOWUPS
               for name, path in sets_in(folder).items()}
    sealed |= {f"sealed checkin {folder.name} {name}": path for folder in SAFETY_SEALED
               for name, path in sets_in(folder).items()}
    loaded = {name: load_set(path) for name, path in {**dev, **sealed}.items()}
    texts = [text for items in loaded.values() for section in items.values() for item in section
             for text in turns(item)]
    parses = parse_all(model, texts)
    results = {name: score(items, parses) for name, items in loaded.items()}
    for group, names in (("Development sets", dev), ("Sealed sets (numbers only)", sealed)):
        if not names:
            continue
        print(group)
        # The second article set is totalled apart, so that "all" stays comparable with earlier notes.
        every = [s for name in names if not name.startswith(ARTICLE_2) for s in results[name]]
        for name in names:
            print("  " + summary_line(name, results[name]))
        if len(names) > 1:
            print("  " + summary_line("all", every))
        print(f"    misses: {miss_kinds(every)}")
        if group.startswith("Sealed"):
            article_2 = [s for name in names if name.startswith(ARTICLE_2) for s in results[name]]
            if article_2:
                print("  " + summary_line("article_2 (all)", article_2))
                print(f"    misses: {miss_kinds(article_2)}")
    if args.show:
        for name in dev:
            for s in results[name]:
                if not s.hit:
                    print(f"MISS {name} | {s.section} | {s.kind} {s.topic or ''} | {s.text}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
