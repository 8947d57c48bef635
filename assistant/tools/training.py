"""How a model is trained: the one place that knows Rasa's command, data folders and config.

``make train`` (``python -m assistant.tools.training``), ``make retrain``
(:mod:`assistant.tools.retrain`) and ``make compare``
(:mod:`assistant.tools.compare`) all train through :func:`train`, so a new
data folder or option is added here once.

``make train`` is the quick path for a first model, for CI and for
development: it serves what it trains **without** the evaluation gate, and
says so. ``make retrain`` trains the same way but evaluates the candidate on
the held-out questions and serves it only if the bars hold.
"""

from __future__ import annotations

import argparse
import hashlib
import shutil
import subprocess
import sys
import time
from datetime import datetime, timezone
from pathlib import Path

from assistant.paths import PROJECT_ROOT, VAR_DIR
from assistant.served import MODELS, current_model, load_registry, save_registry

DOMAIN = "domain.yml"
CONFIG = "config.yml"
# Rasa's training data: the hand-written NLU and rules, and what assistant.tools.build
# generates from the FAQ source (data/faq) and the safety phrasings (data/safety).
NLU_DATA = ("data/nlu", "data/generated")
DATA = ("data/nlu", "data/rules", "data/generated")
# Everything a model depends on; a change to any of these makes a new model.
# The generator is one of them: what it writes is training data too.
TRAINING_INPUTS = ("data/faq", "data/knowledge", "data/nlu", "data/rules", "data/safety",
                   "data/clinic.yml", DOMAIN, CONFIG, "assistant/nlu_components.py",
                   "assistant/tools/build.py")
STAGING = VAR_DIR / "training"
RASA = str(Path(sys.executable).parent / "rasa")


class TrainingFailed(Exception):
    """Rasa exited non-zero; ``log`` holds its output."""

    def __init__(self, log: Path) -> None:
        super().__init__(f"training failed (full log: {log})")
        self.log = log


def data_hash(root: Path = PROJECT_ROOT) -> str:
    """Twelve hex digits of everything in TRAINING_INPUTS; model names end with it."""
    digest = hashlib.sha256()
    for name in TRAINING_INPUTS:
        path = root / name
        files = sorted(p for p in path.rglob("*") if p.is_file()) if path.is_dir() else [path]
        for file in files:
            digest.update(str(file.relative_to(root)).encode())
            digest.update(file.read_bytes())
    return digest.hexdigest()[:12]


def model_name(data: str) -> str:
    """Training time and data hash: the model server's ETag changes exactly when the model does."""
    return f"{datetime.now(timezone.utc):%Y%m%d-%H%M%S}-{data}"


def trained_on(model: Path, data: str) -> bool:
    """Whether ``model`` was trained on the data with this hash (an index release was not)."""
    return model.name.endswith(f"-{data}.tar.gz")


def command(out: Path, name: str, *, config: Path | str = CONFIG, nlu: Path | None = None,
            finetune: Path | None = None, epoch_fraction: float | None = None) -> list[str]:
    """The ``rasa train`` command line; with ``nlu`` (one folder) only the NLU part is trained."""
    if nlu is not None:
        # `rasa train nlu --nlu` takes a single path
        args = [RASA, "train", "nlu", "--config", str(config), "--nlu", str(nlu)]
    else:
        # `make validate` has run `rasa data validate` on the same files just before
        args = [RASA, "train", "--domain", DOMAIN, "--config", str(config), "--data", *DATA,
                "--skip-validation"]
    args += ["--out", str(out), "--fixed-model-name", name]
    if finetune is not None:
        args += ["--finetune", str(finetune)]
        if epoch_fraction is not None:
            args += ["--epoch-fraction", str(epoch_fraction)]
    return args


def train(out: Path, name: str, log: Path, **options: object) -> tuple[Path, float]:
    """Run Rasa (output to ``log``); returns the archive and the seconds it took.

    ``options`` are :func:`command`'s. Raises :class:`TrainingFailed`.
    """
    out.mkdir(parents=True, exist_ok=True)
    log.parent.mkdir(parents=True, exist_ok=True)
    started = time.monotonic()
    with log.open("w") as handle:
        result = subprocess.run(command(out, name, **options), cwd=PROJECT_ROOT,  # type: ignore[arg-type]
                                stdout=handle, stderr=subprocess.STDOUT, check=False)
    if result.returncode != 0:
        raise TrainingFailed(log)
    return out / f"{name}.tar.gz", time.monotonic() - started


def nlu_folder(target: Path) -> Path:
    """NLU_DATA's files gathered in one folder, for ``rasa train nlu``."""
    target.mkdir(parents=True, exist_ok=True)
    for folder in NLU_DATA:
        for path in (PROJECT_ROOT / folder).glob("*.yml"):
            shutil.copy(path, target / f"{Path(folder).name}-{path.name}")
    return target


def build_side_classifiers() -> None:
    """Train (or find cached) the red-flag and out-of-domain classifiers the NLU pipeline loads.

    They are cached under var/cache by their own data, not the Rasa model's:
    built here, the Rasa server starts in seconds instead of training them
    first (the red-flag one takes about three minutes on two cores), well
    inside the end-to-end tests' start-up timeout.
    """
    from assistant import domain_model, red_flag_model

    started = time.monotonic()
    red_flag_model.load_model()
    domain_model.load_model()
    print(f"red-flag and out-of-domain classifiers ready in {time.monotonic() - started:.0f} s")


def train_and_serve(force: bool = False) -> int:
    """``make train``: a model for this data in models/, served at once, not evaluated."""
    build_side_classifiers()
    data = data_hash()
    served = current_model()
    if served is not None and trained_on(served, data) and not force:
        print(f"Nothing changed: {served.relative_to(PROJECT_ROOT)} was trained on this data.")
        return 0
    name = model_name(data)
    log = VAR_DIR / "train.log"
    try:
        # Staged outside models/ and moved in whole, so the model server never hands out half a file.
        staged, seconds = train(STAGING, name, log)
    except TrainingFailed as failed:
        print(failed.log.read_text()[-3000:])
        print(failed)
        return 1
    target = MODELS / staged.name
    shutil.move(str(staged), target)
    registry = load_registry()
    registry[target.name] = {"data_hash": data, "trained_at": name[:15], "training_seconds": round(seconds),
                             "training": "make train (not evaluated)"}
    save_registry(registry)
    print(f"trained {target.relative_to(PROJECT_ROOT)} in {seconds:.0f} s")
    print("make train serves its model without the evaluation gate; `make retrain` evaluates a "
          "candidate on the held-out questions and serves it only if the bars hold")
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--force", action="store_true", help="train even if the data has not changed")
    parser.add_argument("--hash", action="store_true", help="print the training data hash")
    args = parser.parse_args(argv)
    if args.hash:
        print(data_hash())
        return 0
    return train_and_serve(args.force)


if __name__ == "__main__":
    sys.exit(main())
