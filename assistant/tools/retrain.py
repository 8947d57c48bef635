"""``make retrain`` and ``make rollback``: gated model updates.

``make retrain`` (after ``make validate``) first puts a new FAQ live from the
retrieval index when the served model, evaluated that way, holds the bars
(:func:`index_release`: seconds, where a training takes minutes). Then it
trains a candidate model into ``var/candidates/``: fine-tuning the served
model when only phrasings or answers changed, from scratch when an FAQ was
added (Rasa reuses cached components from ``.rasa/cache`` either way),
evaluates it on the held-out
questions, writes a report under ``reports/<model>/`` and compares it with the
served model. Only if every bar holds is the candidate moved into ``models/``,
where the model server hands the newest model to the running bot; otherwise the served model stays
and the reason is printed. Model names carry the hash of the data they were
trained on; ``models/registry.json`` records each model's scores.

``make rollback`` retires the newest model to ``models/retired/`` so the one
before it is served again. Either way the running bot (``make run``) pulls the
change from the model server within ``wait_time_between_pulls`` (endpoints.yml).
"""

from __future__ import annotations

import argparse
import shutil
import sys
import time
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from assistant.paths import PROJECT_ROOT, VAR_DIR
from assistant.served import MODELS, load_registry, model_faq_ids, save_registry, served_models
from assistant.tools import training

RETIRED = MODELS / "retired"
CANDIDATES = VAR_DIR / "candidates"
REPORTS = PROJECT_ROOT / "reports"
FINETUNE_EPOCH_FRACTION = 0.3


def train_candidate(name: str, finetune: Path | None = None) -> tuple[Path, float, str]:
    """Train into var/candidates; returns the model, seconds and how it was trained.

    With ``finetune`` (the served model), Rasa continues training it for 30 % of
    the configured epochs. That is only allowed when no FAQ (label) was added
    or removed, e.g. after `make import-labels`; otherwise Rasa refuses at once
    and a full training follows.
    """
    log = VAR_DIR / "retrain.log"
    if finetune is not None:
        try:
            model, seconds = training.train(CANDIDATES, name, log, finetune=finetune,
                                            epoch_fraction=FINETUNE_EPOCH_FRACTION)
            return model, seconds, "fine-tuned"
        except training.TrainingFailed:
            if "Cannot finetune" not in log.read_text():
                print(log.read_text()[-3000:])
                raise SystemExit(f"training failed (full log: {log})") from None
            print("fine-tuning is not possible (an FAQ was added or removed, or the config changed): "
                  "training from scratch", flush=True)
    try:
        model, seconds = training.train(CANDIDATES, name, log)
    except training.TrainingFailed:
        print(log.read_text()[-3000:])
        raise SystemExit(f"training failed (full log: {log})") from None
    return model, seconds, "full training"


def registry_entry(data: str, summary: dict[str, Any], **details: Any) -> dict[str, Any]:
    """What models/registry.json keeps about a served model: its data, how it came about, its scores."""
    return {"data_hash": data, **details,
            "summary": {key: summary[key] for key in ("scores", "per_topic", "bars_met")}}


def missed_bars(summary: dict[str, Any]) -> list[str]:
    from assistant.tools.evaluate import BARS

    return [f"{group} {summary['scores'].get(group, 0.0):.1%} is below the bar of {bar:.0%}"
            for group, bar in BARS.items() if summary["scores"].get(group, 0.0) < bar]


def index_release(base: Path, new_faqs: frozenset[str], data: str) -> Path | None:
    """Serve ``base`` again with ``new_faqs`` answered from the retrieval index, if the bars hold.

    A new FAQ is a new label, so the classifiers must be trained from scratch
    (minutes). Until then the served model can answer it from the retrieval
    index (assistant.routing.index_answer): the same archive under a new name,
    with the FAQs listed in the registry. It passes the same gate as a trained
    model, evaluated exactly as the action server will answer.
    """
    from assistant.tools.evaluate import evaluate, summarise

    started = time.monotonic()
    print(f"new FAQ(s) {', '.join(sorted(new_faqs))}: evaluating the served model with them answered "
          "from the retrieval index ...", flush=True)
    summary = summarise(evaluate(str(base), index_topics=new_faqs))
    scores = ", ".join(f"{group} {score:.1%}" for group, score in sorted(summary["scores"].items()))
    missed = missed_bars(summary)
    if missed:
        print(f"not served from the index ({scores}): " + "; ".join(missed))
        return None
    stamp = f"{datetime.now(timezone.utc):%Y%m%d-%H%M%S}"
    staged = CANDIDATES / f"{stamp}-{data}-index.tar.gz"
    CANDIDATES.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(base, staged)
    target = MODELS / staged.name
    shutil.move(str(staged), target)  # whole, so the model server never hands out half a file
    registry = load_registry(MODELS)
    registry[target.name] = registry_entry(data, summary, trained_at=stamp, training="none (retrieval index)",
                                           base_model=base.name, index_faqs=sorted(new_faqs))
    save_registry(registry, MODELS)
    print(f"live from the retrieval index after {time.monotonic() - started:.0f} s ({scores}): "
          f"{target.name} (a running bot serves it within about 10 s)", flush=True)
    return target


def retrain(force: bool = False, full: bool = False) -> int:
    # Rasa and TensorFlow load only here: --hash and --status stay quick.
    from assistant.faq import load_faqs
    from assistant.tools.evaluate import check_heldout_is_unseen, evaluate, load_heldout, summarise
    from assistant.tools.report import write_report

    current = training.data_hash()
    served = served_models(MODELS)
    if served and training.trained_on(served[-1], current) and not force:
        print(f"the served model {served[-1].name} was trained on this data; nothing to do")
        return 0
    leaked = check_heldout_is_unseen(load_heldout())
    if leaked:
        print(f"held-out questions are also training phrasings, so the evaluation would flatter: {leaked}")
        return 1
    faq_ids = [faq.id for faq in load_faqs()]
    new_faqs = frozenset(faq_ids) - model_faq_ids(served[-1]) if served else frozenset()
    interim = index_release(served[-1], new_faqs, current) if new_faqs and not full else None
    name = training.model_name(current)
    if new_faqs:
        print("a new FAQ is a new label for the classifiers: training from scratch", flush=True)
    print(f"training candidate {name} ...", flush=True)
    base = None if full or not served or new_faqs else served[-1]
    candidate, seconds, how = train_candidate(name, base)
    print(f"training took {seconds:.0f} s ({how})")
    outcomes = evaluate(str(candidate))
    summary = summarise(outcomes)
    registry = load_registry(MODELS)
    previous = registry.get(served[-1].name) if served else None
    report, terminal = write_report(REPORTS / name, outcomes, summary,
                                    previous.get("summary") if previous else None,
                                    faq_ids=faq_ids)
    print(terminal)
    print(f"\nfull report: {report.relative_to(PROJECT_ROOT)}")
    missed = missed_bars(summary)
    if missed:
        print("\nNOT promoted, the served model stays: " + "; ".join(missed))
        print(f"the candidate is kept for inspection in {candidate.relative_to(PROJECT_ROOT)}")
        return 1
    if interim is not None:
        # Superseded: a rollback should go back to the model from before this retrain.
        RETIRED.mkdir(exist_ok=True)
        shutil.move(str(interim), RETIRED / interim.name)
    target = MODELS / candidate.name
    shutil.move(str(candidate), target)
    registry[target.name] = registry_entry(current, summary, trained_at=name[:15],
                                           training_seconds=round(seconds), training=how)
    save_registry(registry, MODELS)
    print(f"\npromoted: {target.relative_to(PROJECT_ROOT)} is now the served model "
          "(a running bot loads it within about 10 s)")
    return 0


def rollback() -> int:
    served = served_models(MODELS)
    if len(served) < 2:
        print("nothing to roll back to: models/ holds fewer than two models")
        return 1
    RETIRED.mkdir(exist_ok=True)
    newest = served[-1]
    shutil.move(str(newest), RETIRED / newest.name)
    print(f"retired {newest.name}; now served: {served[-2].name} (a running bot loads it within about 10 s)")
    if not training.trained_on(served[-2], training.data_hash()):
        print("note: the data has changed since that model was trained; `make retrain` would train it again")
    return 0


def status() -> int:
    """What `make run` will serve, and whether the data has moved on since."""
    served = served_models(MODELS)
    if not served:
        print("no model in models/ yet")
        return 1
    print(f"serving {served[-1].name}")
    if not training.trained_on(served[-1], training.data_hash()):
        print("the FAQ data or config changed since this model was trained: run `make retrain` "
              "to train, evaluate and (if the bars hold) serve a new one")
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    action = parser.add_mutually_exclusive_group()
    action.add_argument("--rollback", action="store_true", help="serve the previous model again")
    action.add_argument("--status", action="store_true", help="which model is served, is it current")
    parser.add_argument("--force", action="store_true", help="train even if the data has not changed")
    parser.add_argument("--full", action="store_true", help="train from scratch, never fine-tune")
    args = parser.parse_args(argv)
    if args.status:
        return status()
    return rollback() if args.rollback else retrain(args.force, args.full)


if __name__ == "__main__":
    sys.exit(main())
