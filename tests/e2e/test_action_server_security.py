"""The action server answers only the Rasa server, on loopback, and re-checks bookings.

It runs here on its own (``python -m actions.server``) with a real SQLite file,
and is called the way an attacker on the network would call it.
"""

from __future__ import annotations

import contextlib
import os
import secrets
import sqlite3
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests

from assistant.paths import PROJECT_ROOT
from assistant.store import migrate
from tests.e2e.conftest import free_port

GOOD_SLOTS = {
    "booking_name": "Jane Doe", "booking_contact": "(708) 555-0123", "booking_phone": "(708) 555-0123",
    "booking_email": None, "booking_office": "oak_park", "booking_times": "weekday mornings",
    "booking_problem": "", "booking_consent": True,
}


class ActionServer:
    def __init__(self, url: str, token: str, db: Path, port: int):
        self.url, self.token, self.db, self.port = url, token, db, port

    def call(self, action: str, slots: dict, token: str | None = None) -> requests.Response:
        tracker = {"sender_id": "forged", "slots": slots, "events": [], "paused": False,
                   "followup_action": None, "active_loop": {}, "latest_action_name": "action_listen",
                   "latest_message": {"intent": {"name": "confirm_booking", "confidence": 1.0},
                                      "entities": [], "text": "/confirm_booking"}}
        headers = {"X-Action-Token": token} if token is not None else {}
        return requests.post(f"{self.url}/webhook", headers=headers, timeout=30, json={
            "next_action": action, "sender_id": "forged", "tracker": tracker, "domain": {},
            "version": "3.6.0"})

    def stored(self) -> int:
        with sqlite3.connect(self.db) as db:
            return db.execute("SELECT count(*) FROM booking_requests").fetchone()[0]


@pytest.fixture(scope="module")
def server(tmp_path_factory) -> Iterator[ActionServer]:
    workdir = tmp_path_factory.mktemp("actions")
    db, port, token = workdir / "rasa.db", free_port(), secrets.token_urlsafe(24)
    migrate(f"sqlite:///{db}")
    env = {**os.environ, "PYTHONPATH": str(PROJECT_ROOT), "ACTION_SERVER_TOKEN": token,
           "ACTION_PORT": str(port), "DATABASE_URL": f"sqlite:///{db}",
           "BOOKING_OUTBOX": str(workdir / "outbox.jsonl")}
    env.pop("ACTION_HOST", None)  # the default must be loopback
    log = workdir / "actions.log"
    proc = subprocess.Popen([sys.executable, "-m", "actions.server"], cwd=PROJECT_ROOT, env=env,
                            stdout=log.open("w"), stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 120
        while True:
            with contextlib.suppress(requests.ConnectionError):
                if requests.get(f"{url}/health", timeout=5).ok:
                    break
            if proc.poll() is not None or time.monotonic() > deadline:
                pytest.fail(f"action server did not start:\n{log.read_text()[-2000:]}")
            time.sleep(0.5)
        yield ActionServer(url, token, db, port)
    finally:
        proc.terminate()
        proc.wait(timeout=30)


def listening_addresses(port: int) -> set[str]:
    """Local addresses of listening TCP sockets on ``port`` (from /proc/net/tcp and tcp6)."""
    found = set()
    for name in ("tcp", "tcp6"):
        path = Path("/proc/net") / name
        if not path.exists():
            continue
        for line in path.read_text().splitlines()[1:]:
            fields = line.split()
            address, port_hex = fields[1].rsplit(":", 1)
            if int(port_hex, 16) == port and fields[3] == "0A":  # 0A = LISTEN
                found.add(address)
    return found


def test_it_listens_on_loopback_only(server):
    assert listening_addresses(server.port) == {"0100007F"}  # 127.0.0.1, nothing else


@pytest.mark.parametrize("token", [None, "", "wrong-token-wrong-token"])
def test_a_forged_call_without_the_shared_token_is_refused(server, token):
    response = server.call("action_submit_booking", GOOD_SLOTS, token)
    assert response.status_code == 401
    assert requests.get(f"{server.url}/actions", timeout=10).status_code == 401
    assert server.stored() == 0


def test_with_the_token_bad_values_are_still_checked_before_storing(server):
    bad = {**GOOD_SLOTS, "booking_office": "oak_park\nBcc: everyone@example.com",
           "booking_name": "<script>alert(1)</script>"}
    response = server.call("action_submit_booking", bad, server.token)
    assert response.status_code == 200
    reply = [m for m in response.json()["responses"] if m.get("custom")][0]["custom"]
    assert reply["status"] == "invalid" and not reply["booking_reference"]
    assert server.stored() == 0
    good = server.call("action_submit_booking", GOOD_SLOTS, server.token).json()["responses"]
    assert [m["custom"]["status"] for m in good if m.get("custom")] == ["saved"]
    assert server.stored() == 1
