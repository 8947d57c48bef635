"""`make run` (scripts/run.sh under supervisord) starts a killed process again, keeps every
message while the database is write-locked; Ctrl-C stops all.

On a copy of the project (its own var/, database and ports), as a newcomer's
`make run` would: the action server is killed with SIGKILL mid-conversation;
visitors get the honest "can't answer right now" reply meanwhile and answers
again within seconds, without anyone restarting anything.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import sqlite3
import subprocess
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import requests

from assistant.paths import PROJECT_ROOT
from tests.bench_retrain import copy_project
from tests.e2e.conftest import STARTUP_TIMEOUT, free_port

RESTART_TIMEOUT = 60
QUESTION = "what is prolotherapy"


def ask(port: int, text: str = QUESTION) -> list[dict]:
    response = requests.post(f"http://127.0.0.1:{port}/webhooks/rest/webhook",
                             json={"sender": uuid.uuid4().hex, "message": text}, timeout=30)
    response.raise_for_status()
    return response.json()


def kinds(messages: list[dict]) -> list[str]:
    return [m["custom"].get("kind") for m in messages if isinstance(m.get("custom"), dict)]


def supervised_pid(root: Path, program: str) -> int:
    done = subprocess.run([str(root / ".venv" / "bin" / "supervisorctl"), "-c", "scripts/supervisord.conf",
                           "pid", program], cwd=root, capture_output=True, text=True, timeout=30)
    return int(done.stdout.strip())


def wait_for(condition, what: str, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with contextlib.suppress(requests.RequestException, ValueError, KeyError):
            if condition():
                return
        time.sleep(1)
    raise AssertionError(f"{what} within {timeout:.0f} s")


LOCK_SECONDS = 15
VISITORS = 4


def asked_while_the_database_is_write_locked(root: Path, rasa_port: int) -> tuple[int, float]:
    """Another process holds a write transaction on var/rasa.db for 15 s (a long purge, a
    backup tool) while four visitors ask a question: how many of their messages the tracker
    store holds once, afterwards, and the slowest reply."""
    database = root / "var" / "rasa.db"
    locker = sqlite3.connect(database, timeout=30, isolation_level=None)
    locker.execute("BEGIN IMMEDIATE")  # the write lock; readers go on (WAL)
    senders = [f"locked-{n}-{uuid.uuid4().hex[:6]}" for n in range(VISITORS)]

    def visit(sender: str) -> float:
        started = time.monotonic()
        response = requests.post(f"http://127.0.0.1:{rasa_port}/webhooks/rest/webhook",
                                 json={"sender": sender, "message": QUESTION}, timeout=120)
        response.raise_for_status()
        assert kinds(response.json()), response.text
        return time.monotonic() - started

    try:
        with ThreadPoolExecutor(max_workers=VISITORS) as pool:
            replies = [pool.submit(visit, sender) for sender in senders]
            time.sleep(LOCK_SECONDS)
            locker.execute("COMMIT")
            slowest = max(reply.result() for reply in replies)
    finally:
        locker.close()
    reader = sqlite3.connect(database, timeout=30)
    try:
        stored = sum(reader.execute("select count(*) from events where sender_id = ? and type_name = 'user'",
                                    (sender,)).fetchone()[0] == 1 for sender in senders)
    finally:
        reader.close()
    return stored, slowest


def test_a_killed_action_server_is_started_again_and_ctrl_c_stops_everything(tmp_path: Path, capsys) -> None:
    root = copy_project(tmp_path / "project")
    shutil.copytree(PROJECT_ROOT / "webapp", root / "webapp", ignore=shutil.ignore_patterns("__pycache__"))
    ports = {name: free_port() for name in ("RASA_PORT", "ACTION_PORT", "WEB_PORT", "MODEL_SERVER_PORT")}
    endpoints = root / "endpoints.yml"
    text = endpoints.read_text()  # the ports endpoints.yml names: the model server's and the actions'
    text = text.replace("127.0.0.1:5056", f"127.0.0.1:{ports['MODEL_SERVER_PORT']}")
    endpoints.write_text(text.replace("127.0.0.1:5055", f"127.0.0.1:{ports['ACTION_PORT']}"))
    env = {**os.environ, **{k: str(v) for k, v in ports.items()}, "PYTHONPATH": str(root)}
    env.pop("DATABASE_URL", None)
    log = (tmp_path / "run.log").open("w")
    run = subprocess.Popen(["bash", "scripts/run.sh"], cwd=root, env=env, stdout=log, stderr=subprocess.STDOUT,
                           start_new_session=True)  # its own process group, as a terminal's Ctrl-C reaches
    try:
        rasa = ports["RASA_PORT"]
        wait_for(lambda: "answer" in kinds(ask(rasa)), "make run answers a question", 2 * STARTUP_TIMEOUT)
        before = supervised_pid(root, "actions")
        os.kill(before, signal.SIGKILL)
        killed_at = time.monotonic()
        wait_for(lambda: supervised_pid(root, "actions") not in (0, before), "the action server restarted",
                 RESTART_TIMEOUT)
        wait_for(lambda: "answer" in kinds(ask(rasa)), "answers again after the restart", RESTART_TIMEOUT)
        recovered_after = time.monotonic() - killed_at
        stored, seconds = asked_while_the_database_is_write_locked(root, rasa)
        with capsys.disabled():  # the counts belong in `make test`'s output
            print(f"\nmake run: action server killed, answering again after {recovered_after:.1f} s; "
                  f"SQLite write-locked {LOCK_SECONDS} s: {VISITORS} visitors asked, {stored} messages stored "
                  f"once, slowest reply {seconds:.1f} s")
        assert stored == VISITORS
    finally:
        os.killpg(run.pid, signal.SIGINT)  # Ctrl-C
        try:
            run.wait(timeout=60)
        finally:
            log.close()
    assert run.returncode is not None
    leftover = subprocess.run(["pgrep", "-f", str(root)], capture_output=True, text=True)
    assert leftover.stdout.strip() == "", f"still running after Ctrl-C: {leftover.stdout}"
    for port in ports.values():
        with contextlib.suppress(requests.RequestException):
            requests.get(f"http://127.0.0.1:{port}/", timeout=2)
            raise AssertionError(f"port {port} still answers after Ctrl-C")
