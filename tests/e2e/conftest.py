"""Start the real action server and Rasa server once for the end-to-end tests.

They run on free ports with their own SQLite tracker store in a temporary
folder, so a developer's running bot (and its conversations) is untouched.
"""

from __future__ import annotations

import contextlib
import os
import secrets
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
import requests
import yaml

from assistant.paths import PROJECT_ROOT
from assistant.served import current_model
from assistant.store import migrate

BIN = Path(sys.executable).parent
STARTUP_TIMEOUT = 240
# the bots under test store conversations as `make run` does
TRACKER_STORE_TYPE = yaml.safe_load((PROJECT_ROOT / "endpoints.yml").read_text())["tracker_store"]["type"]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def latest_model(root: Path = PROJECT_ROOT) -> str:
    model = current_model(root / "models")
    if model is None:
        pytest.fail("no trained model in models/: `make test` trains one first")
    return str(model)


class Bot:
    """A running Rasa + action server pair and a REST client for it."""

    def __init__(self, url: str, db_path: Path):
        self.url = url
        self.db_path = db_path
        self.rasa: subprocess.Popen | None = None
        self.actions: subprocess.Popen | None = None
        self._start_rasa: Callable[[], subprocess.Popen] | None = None
        self._start_actions: Callable[[], subprocess.Popen] | None = None
        self.action_port: int | None = None
        self.action_token: str | None = None
        self.rest_headers: dict[str, str] = {}

    def stop_rasa(self) -> None:
        """Stop the Rasa server (the action server keeps running)."""
        assert self.rasa is not None
        self.rasa.terminate()
        self.rasa.wait(timeout=30)

    def start_rasa(self) -> None:
        """Start the Rasa server again on the same port and wait until it answers."""
        assert self._start_rasa is not None
        self.rasa = self._start_rasa()
        deadline = time.monotonic() + STARTUP_TIMEOUT
        while time.monotonic() < deadline:
            if self.rasa.poll() is not None:
                pytest.fail("Rasa server exited on restart")
            with contextlib.suppress(requests.ConnectionError, AssertionError, requests.ReadTimeout):
                if self.send("hello", sender="restart-check"):
                    return
            time.sleep(1)
        pytest.fail("Rasa server did not come back in time")

    def stop_actions(self) -> None:
        """Stop the action server (custom actions then fail)."""
        assert self.actions is not None
        self.actions.terminate()
        self.actions.wait(timeout=30)

    def start_actions(self) -> None:
        """Start the action server again and wait until it is healthy."""
        assert self._start_actions is not None
        self.actions = self._start_actions()
        deadline = time.monotonic() + STARTUP_TIMEOUT
        while True:
            with contextlib.suppress(requests.ConnectionError):
                if requests.get(f"http://127.0.0.1:{self.action_port}/health", timeout=5).ok:
                    return
            if self.actions.poll() is not None or time.monotonic() > deadline:
                pytest.fail("action server did not come back")
            time.sleep(0.5)

    def send(self, message: str, sender: str | None = None) -> list[dict]:
        response = requests.post(f"{self.url}/webhooks/rest/webhook",
                                  json={"sender": sender or uuid.uuid4().hex, "message": message},
                                  headers=self.rest_headers, timeout=60)
        assert response.status_code == 200, response.text
        return response.json()

    @staticmethod
    def custom(messages: list[dict]) -> dict:
        payloads = [m["custom"] for m in messages if "custom" in m]
        assert payloads, f"no machine-readable reply in {messages}"
        return payloads[0]


def _wait_until_ready(bot: Bot, processes: list[subprocess.Popen], logs: list[Path],
                      needs_actions: bool = True) -> None:
    deadline = time.monotonic() + STARTUP_TIMEOUT
    while time.monotonic() < deadline:
        for proc, log in zip(processes, logs, strict=False):
            if proc.poll() is not None:
                pytest.fail(f"server exited early:\n{log.read_text()[-3000:]}")
        try:
            reply = bot.send("hello", sender="startup-check")
            # The channel's "unavailable" apology means the action server is not up yet.
            if reply and not (needs_actions and any(
                    (m.get("custom") or {}).get("reason") == "unavailable" for m in reply)):
                return
        except (requests.ConnectionError, AssertionError, requests.ReadTimeout):
            pass
        time.sleep(2)
    tails = "\n".join(log.read_text()[-2000:] for log in logs)
    pytest.fail(f"servers did not become ready in time:\n{tails}")


@contextlib.contextmanager
def running_bot(workdir: Path, with_actions: bool = True, root: Path = PROJECT_ROOT,
                extra_env: dict[str, str] | None = None, model_server: bool = False) -> Iterator[Bot]:
    """The Rasa server (and action server) on free ports with a tracker store in ``workdir``.

    With ``model_server``, Rasa pulls its model from ``assistant.model_server``
    every 2 s, as ``make run`` does (every 10 s), instead of loading a file.
    """
    rasa_port, action_port, model_port = free_port(), free_port(), free_port()
    db_path = workdir / "rasa.db"
    migrate(f"sqlite:///{db_path}")
    endpoints = workdir / "endpoints.yml"
    token = secrets.token_urlsafe(24)
    endpoints.write_text(
        f"action_endpoint:\n  url: http://127.0.0.1:{action_port}/webhook\n"
        f"  headers:\n    X-Action-Token: {token}\n"
        f"tracker_store:\n  type: {TRACKER_STORE_TYPE}\n  dialect: sqlite\n  db: {db_path}\n"
        + (f"models:\n  url: http://127.0.0.1:{model_port}/model\n  wait_time_between_pulls: 2\n"
           if model_server else "")
    )
    env = {**os.environ, "PYTHONPATH": str(root), "RASA_TELEMETRY_ENABLED": "false",
           "TF_CPP_MIN_LOG_LEVEL": "2", "SQLALCHEMY_SILENCE_UBER_WARNING": "1",
           "DATABASE_URL": f"sqlite:///{db_path}", "BOOKING_OUTBOX": str(workdir / "outbox.jsonl"),
           "ACTION_SERVER_TOKEN": token, "ACTION_HOST": "127.0.0.1", "ACTION_PORT": str(action_port),
           "MODEL_SERVER_PORT": str(model_port), **(extra_env or {})}
    model = [] if model_server else ["--model", latest_model(root)]
    commands = {}
    if model_server:
        commands["models"] = [sys.executable, "-m", "assistant.model_server"]
    commands["rasa"] = [str(BIN / "rasa"), "run", *model, "--port", str(rasa_port),
                        "--credentials", "credentials.yml", "--endpoints", str(endpoints), "--cors", "*"]
    if with_actions:
        commands["actions"] = [sys.executable, "-m", "actions.server"]
    logs = [workdir / f"{name}.log" for name in commands]

    def start(name: str) -> subprocess.Popen:
        log = (workdir / f"{name}.log").open("a")
        return subprocess.Popen(commands[name], cwd=root, env=env, stdout=log,
                                stderr=subprocess.STDOUT)

    processes = {name: start(name) for name in commands}
    bot = Bot(f"http://127.0.0.1:{rasa_port}", db_path)
    if env.get("REST_CHANNEL_TOKEN"):
        bot.rest_headers = {"Authorization": f"Bearer {env['REST_CHANNEL_TOKEN']}"}
    bot.rasa = processes["rasa"]
    bot._start_rasa = lambda: start("rasa")
    bot.actions = processes.get("actions")
    bot._start_actions = lambda: start("actions")
    bot.action_port = action_port
    bot.action_token = token
    try:
        _wait_until_ready(bot, list(processes.values()), logs, needs_actions=with_actions)
        yield bot
    finally:
        running = [p for p in (bot.rasa, bot.actions, processes.get("models")) if p is not None]
        for proc in running:
            proc.terminate()
        for proc in running:
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


# ---- the web app and a real browser (Debian's chromium driven by Playwright) ----

CHROMIUM = os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium")
# The closed network here refuses Chromium's background connections.
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--no-first-run", "--disable-sync"]


@contextlib.contextmanager
def running_web(rasa_url: str, workdir: Path, extra_env: dict[str, str] | None = None) -> Iterator[str]:
    port = free_port()
    env = {**os.environ, "PYTHONPATH": str(PROJECT_ROOT), "WEB_HOST": "127.0.0.1",
           "WEB_PORT": str(port), "RASA_PUBLIC_URL": rasa_url,
           "STAFF_SECRET_FILE": str(workdir / "secret_key"), **(extra_env or {})}
    log = workdir / "web.log"
    proc = subprocess.Popen([sys.executable, "-m", "webapp"], cwd=PROJECT_ROOT, env=env,
                            stdout=log.open("w"), stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 30
        while True:
            with contextlib.suppress(requests.ConnectionError):
                if requests.get(f"{url}/healthz", timeout=5).ok:
                    break
            if proc.poll() is not None or time.monotonic() > deadline:
                pytest.fail(f"web app did not start:\n{log.read_text()[-2000:]}")
            time.sleep(0.3)
        yield url
    finally:
        proc.terminate()
        proc.wait(timeout=30)


@pytest.fixture(scope="session")
def web(bot: Bot, tmp_path_factory) -> Iterator[str]:
    """The web app on the bot's database, as in `make run` (the feedback endpoint reads it)."""
    with running_web(bot.url, tmp_path_factory.mktemp("web"),
                     extra_env={"DATABASE_URL": f"sqlite:///{bot.db_path}"}) as url:
        yield url


@pytest.fixture(scope="module")
def browser():
    """Per module: Playwright's sync API runs an event loop in this thread while
    it is open, and later tests that call asyncio.run() need it closed."""
    from playwright.sync_api import sync_playwright

    if not Path(CHROMIUM).exists():
        pytest.fail(f"{CHROMIUM} not found: `make test` installs Debian's chromium "
                    "(scripts/install-browser.sh); or set CHROMIUM_PATH")
    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield launched
        launched.close()


class PageProblems(list):
    """Console errors (CSP violations among them) and JavaScript exceptions."""


@pytest.fixture()
def page(browser) -> Iterator:
    """A fresh browser context per test: its own sessionStorage, so its own conversation."""
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    context.set_default_timeout(30_000)
    new_page = context.new_page()
    problems = PageProblems()
    new_page.on("console", lambda msg: problems.append(msg.text) if msg.type == "error" else None)
    new_page.on("pageerror", lambda exc: problems.append(str(exc)))
    new_page.problems = problems
    yield new_page
    context.close()


@contextlib.contextmanager
def staff_console_env(bot: Bot, workdir: Path, accounts: tuple[tuple[str, str], ...],
                      password: str) -> Iterator[dict[str, str]]:
    """The staff console's settings on the bot's database, with these accounts made by the staff CLI.

    Set in this process too (the CLI and Flask test clients read them), undone afterwards.
    """
    import io

    env = {"DATABASE_URL": f"sqlite:///{bot.db_path}", "STAFF_SECRET_FILE": str(workdir / "key")}
    patch = pytest.MonkeyPatch()
    try:
        for key, value in env.items():
            patch.setenv(key, value)
        from webapp.staff.cli import main as cli

        for name, role in accounts:
            patch.setattr("sys.stdin", io.StringIO(password + "\n"))
            cli(["create-user", name, "--role", role, "--password-stdin"])
        yield env
    finally:
        patch.undo()
