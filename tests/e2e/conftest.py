"""Start the real action server and Rasa server once for the end-to-end tests.

They run on free ports with their own SQLite tracker store in a temporary
folder, so a developer's running bot (and its conversations) is untouched.
"""

from __future__ import annotations

import contextlib
import os
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests

from assistant.knowledge import PROJECT_ROOT
from assistant.store import migrate

BIN = Path(sys.executable).parent
STARTUP_TIMEOUT = 240


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def latest_model() -> str:
    models = sorted((PROJECT_ROOT / "models").glob("*.tar.gz"), key=lambda p: p.stat().st_mtime)
    if not models:
        pytest.fail("no trained model in models/: `make test` trains one first")
    return str(models[-1])


class Bot:
    """A running Rasa + action server pair and a REST client for it."""

    def __init__(self, url: str, db_path: Path):
        self.url = url
        self.db_path = db_path

    def send(self, message: str, sender: str | None = None) -> list[dict]:
        response = requests.post(f"{self.url}/webhooks/rest/webhook",
                                  json={"sender": sender or uuid.uuid4().hex, "message": message},
                                  timeout=60)
        assert response.status_code == 200, response.text
        return response.json()

    @staticmethod
    def custom(messages: list[dict]) -> dict:
        payloads = [m["custom"] for m in messages if "custom" in m]
        assert payloads, f"no machine-readable reply in {messages}"
        return payloads[0]


def _wait_until_ready(bot: Bot, processes: list[subprocess.Popen], logs: list[Path]) -> None:
    deadline = time.monotonic() + STARTUP_TIMEOUT
    while time.monotonic() < deadline:
        for proc, log in zip(processes, logs, strict=False):
            if proc.poll() is not None:
                pytest.fail(f"server exited early:\n{log.read_text()[-3000:]}")
        try:
            if bot.send("hello", sender="startup-check"):
                return
        except (requests.ConnectionError, AssertionError, requests.ReadTimeout):
            pass
        time.sleep(2)
    tails = "\n".join(log.read_text()[-2000:] for log in logs)
    pytest.fail(f"servers did not become ready in time:\n{tails}")


@contextlib.contextmanager
def running_bot(workdir: Path, with_actions: bool = True) -> Iterator[Bot]:
    rasa_port, action_port = free_port(), free_port()
    db_path = workdir / "rasa.db"
    migrate(f"sqlite:///{db_path}")
    endpoints = workdir / "endpoints.yml"
    endpoints.write_text(
        f"action_endpoint:\n  url: http://127.0.0.1:{action_port}/webhook\n"
        f"tracker_store:\n  type: SQL\n  dialect: sqlite\n  db: {db_path}\n"
    )
    env = {**os.environ, "PYTHONPATH": str(PROJECT_ROOT), "RASA_TELEMETRY_ENABLED": "false",
           "TF_CPP_MIN_LOG_LEVEL": "2", "SQLALCHEMY_SILENCE_UBER_WARNING": "1",
           "DATABASE_URL": f"sqlite:///{db_path}", "BOOKING_OUTBOX": str(workdir / "outbox.jsonl")}
    commands = {
        "rasa": [str(BIN / "rasa"), "run", "--model", latest_model(), "--port", str(rasa_port),
                 "--credentials", "credentials.yml", "--endpoints", str(endpoints)],
    }
    if with_actions:
        commands["actions"] = [str(BIN / "rasa"), "run", "actions", "--actions", "actions",
                               "--port", str(action_port)]
    logs = [workdir / f"{name}.log" for name in commands]
    processes = [
        subprocess.Popen(cmd, cwd=PROJECT_ROOT, env=env, stdout=log.open("w"), stderr=subprocess.STDOUT)
        for cmd, log in zip(commands.values(), logs, strict=True)
    ]
    bot = Bot(f"http://127.0.0.1:{rasa_port}", db_path)
    try:
        _wait_until_ready(bot, processes, logs)
        yield bot
    finally:
        for proc in processes:
            proc.terminate()
        for proc in processes:
            try:
                proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                proc.kill()


@pytest.fixture(scope="session")
def bot(tmp_path_factory) -> Iterator[Bot]:
    with running_bot(tmp_path_factory.mktemp("bot")) as running:
        yield running


@pytest.fixture(scope="module")
def bot_without_actions(tmp_path_factory) -> Iterator[Bot]:
    """The Rasa server with its action server down."""
    with running_bot(tmp_path_factory.mktemp("no-actions"), with_actions=False) as running:
        yield running
