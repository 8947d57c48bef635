"""The developers' workflow end to end, on a copy of the project.

A new knowledge text and a new FAQ (through the scaffold) go in, `make
retrain` validates, serves the new FAQ from the retrieval index within
seconds (the served model, evaluated with it), then trains (reusing Rasa's
cache), evaluates and promotes the full model; the bot, running all along and
pulling from the model server, answers the new question with its quote and
citation without a restart, first while the training still runs; after `make
rollback` it answers as before. The copy keeps the working tree's
FAQ files and models untouched.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import time
from pathlib import Path

from tests.bench_retrain import NEW_FAQ, NOTICE, copy_project
from tests.e2e.conftest import running_bot


def make(root: Path, *args: str) -> subprocess.CompletedProcess:
    env = {**os.environ, "PYTHONPATH": str(root)}
    return subprocess.run(["make", "--no-print-directory", *args], cwd=root, env=env, text=True,
                          capture_output=True, timeout=2400, check=False)


QUESTION = "is there free parking at your office?"
SWAP_TIMEOUT = 180  # the pull interval (2 s) plus loading a model


def wait_for_reply(bot, condition, what: str, timeout: float = SWAP_TIMEOUT) -> dict:
    """Ask until the running bot's reply meets ``condition`` (it is loading a new model).

    Each try is a new conversation: in one conversation the question asked
    again right after its answer is a follow-up of that answer (which reads
    "there" as pointing back), whichever model is served.
    """
    deadline = time.monotonic() + timeout
    reply: dict = {}
    tries = 0
    while time.monotonic() < deadline:
        tries += 1
        reply = bot.custom(bot.send(QUESTION, sender=f"swap-check-{tries}"))
        if condition(reply):
            return reply
        time.sleep(2)
    raise AssertionError(f"the running bot never {what}; last reply {reply}")


def test_new_faq_from_scaffold_to_a_sourced_answer_without_a_restart(tmp_path: Path) -> None:
    root = copy_project(tmp_path / "project")
    with running_bot(tmp_path / "bot", root=root, model_server=True) as bot:
        before = bot.custom(bot.send(QUESTION))
        assert before.get("topic") != "demo_parking"
        conversation = "started-before-the-swap"
        assert bot.send("is fusion my only option?", sender=conversation)

        shutil.copy(NOTICE, root / "data" / "knowledge" / NOTICE.name)
        scaffolded = make(root, "faq-new", "ID=demo_parking", "GROUP=visiting")
        assert scaffolded.returncode == 0, scaffolded.stderr
        template = (root / "data" / "faq" / "visiting.yml").read_text()
        assert "- id: demo_parking" in template and "TODO" in template

        # the unfilled template is refused before any training, naming file and line
        refused = make(root, "retrain")
        assert refused.returncode != 0
        assert re.search(r"data/faq/visiting\.yml:\d+: demo_parking: quote is not verbatim",
                         refused.stdout + refused.stderr)

        shutil.copy(NEW_FAQ, root / "data" / "faq" / NEW_FAQ.name)
        env = {**os.environ, "PYTHONPATH": str(root)}
        log = tmp_path / "retrain.log"
        with log.open("w") as handle:
            retraining = subprocess.Popen(["make", "--no-print-directory", "retrain"], cwd=root, env=env,
                                          stdout=handle, stderr=subprocess.STDOUT, text=True)
        try:
            # Live from the retrieval index while the full training is still running.
            # validation and the served model's evaluation come first (on a busy machine, minutes)
            reply = wait_for_reply(bot, lambda r: r.get("topic") == "demo_parking" and r.get("index_only"),
                                   "answered the new FAQ from the index", timeout=900)
            assert retraining.poll() is None, "the new FAQ went live only after the full training"
            assert re.search(r"live from the retrieval index after \d+ s", log.read_text())
            assert "training took" not in log.read_text()
            retraining.wait(timeout=2400)
        finally:
            if retraining.poll() is None:
                retraining.kill()
        output = log.read_text()
        assert retraining.returncode == 0, output[-4000:]
        assert "promoted" in output and re.search(r"training took \d+ s \(full training\)", output)
        # the held-out set has no question for the new FAQ yet: the report says so
        assert "no held-out questions: demo_parking" in output
        report = next((root / "reports").glob("*/report.md"))
        assert "## Per FAQ" in report.read_text() and (report.parent / "confidence.png").stat().st_size > 0
        # the interim release is superseded: models/ holds the old model and the trained one
        assert len(list((root / "models").glob("*.tar.gz"))) == 2

        # the trained model answers the new FAQ too, with its quote and citation
        reply = wait_for_reply(bot, lambda r: r.get("topic") == "demo_parking" and not r.get("index_only"),
                               "answered the new FAQ after the full training")
        assert reply["kind"] == "answer"
        source = reply["sources"][0]
        assert source["quote"].startswith("Parking for the demonstration office is in the blue garage")
        assert source["label"].startswith("[1] Example reference used only by the retraining test")
        # a conversation that started under the old model goes on
        assert bot.custom(bot.send("thanks", sender=conversation))

        # rollback: the model from before the change is served again, and its answer is back
        rolled = make(root, "rollback")
        assert rolled.returncode == 0 and "now served" in rolled.stdout
        again = wait_for_reply(bot, lambda r: r.get("topic") != "demo_parking", "went back to the old model")
        assert (again["kind"], again.get("topic")) == (before["kind"], before.get("topic"))
