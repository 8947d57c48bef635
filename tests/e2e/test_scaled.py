"""The scaled-out profile (`make run-scaled`): two Rasa replicas behind HAProxy,
PostgreSQL, Redis, two action servers; everything real, started by
``assistant.tools.scaled`` on free ports in a temporary folder.

``SCALED_LOCK_STORE=redis`` runs the same tests with Rasa's own
``RedisLockStore`` instead of :mod:`assistant.lock_store` (to see the
ordering test fail: docs/deployment.md).
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections import Counter
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
import requests
import socketio
from sqlalchemy import create_engine, text

from assistant.paths import PROJECT_ROOT
from assistant.tools.scaled import Ports, Profile, Running, balancer_sees_every_replica, started
from tests.e2e.conftest import free_port

PASSWORD = "correct horse battery staple"
FUSION, PROLOTHERAPY = "is fusion my only option?", "what is prolotherapy?"
TOPICS = {FUSION: "fusion_only_option", PROLOTHERAPY: "prolotherapy_what"}


@pytest.fixture(scope="module")
def scaled_running() -> Iterator[Running]:
    if not all(shutil.which(tool) for tool in ("haproxy", "redis-server")):
        pytest.fail("haproxy / redis-server missing: `make test` installs them (scripts/install-scaled.sh)")
    # PostgreSQL runs as its own user when we are root: the folder must be reachable.
    workdir = Path(tempfile.mkdtemp(prefix="si-scaled-"))
    workdir.chmod(0o755)
    ports = Ports(front=free_port(), actions=free_port(), web=free_port(), models=free_port(),
                  postgres=free_port(), redis=free_port(),
                  replicas=[free_port(), free_port()], action_servers=[free_port(), free_port()])
    profile = Profile(workdir=workdir, ports=ports,
                      lock_store=os.environ.get("SCALED_LOCK_STORE", Profile.lock_store))
    try:
        with started(profile) as running:
            yield running
    finally:
        shutil.rmtree(workdir, ignore_errors=True)


@pytest.fixture(scope="module")
def scaled(scaled_running: Running) -> Profile:
    return scaled_running.profile


def send(profile: Profile, text_: str, sender: str) -> requests.Response:
    response = requests.post(f"{profile.chat_url}/webhooks/rest/webhook",
                             json={"sender": sender, "message": text_}, timeout=120)
    assert response.status_code == 200, response.text
    return response


def topics(messages: list[dict]) -> list[str]:
    """The FAQs answered in a reply (``custom.kind == "answer"``)."""
    return [m["custom"]["topic"] for m in messages if (m.get("custom") or {}).get("kind") == "answer"]


def events(profile: Profile, sender: str) -> list[tuple[str, dict]]:
    engine = create_engine(profile.database_url)
    with engine.connect() as connection:
        rows = connection.execute(text("select type_name, data from events where sender_id = :s order by id"),
                                  {"s": sender}).fetchall()
    engine.dispose()
    return [(kind, json.loads(data)) for kind, data in rows]


def test_rest_is_balanced_across_both_replicas(scaled):
    served = Counter()
    for i in range(8):
        response = send(scaled, FUSION, f"balance-{i}-{uuid.uuid4().hex[:6]}")
        assert topics(response.json()) == [TOPICS[FUSION]]
        served[response.headers["X-Replica"]] += 1
    # both replicas serve, but not always 4 / 4: one run in four on 2026-12-02 gave
    # 5 / 3 (HAProxy's round-robin moves when a server's check state changes)
    assert set(served) == {"rasa1", "rasa2"} and min(served.values()) >= 3, served


def test_socketio_through_the_balancer(scaled):
    replies: list[dict] = []
    confirmed: list[str] = []
    client = socketio.Client(reconnection=False)
    client.on("session_confirm", confirmed.append)
    client.on("bot_uttered", replies.append)
    client.connect(scaled.chat_url, transports=["polling"])
    try:
        client.emit("session_request", {"session_id": None})
        client.sleep(1)
        for _ in range(30):
            if confirmed:
                break
            client.sleep(0.5)
        assert confirmed
        client.emit("user_uttered", {"message": PROLOTHERAPY, "session_id": confirmed[0]})
        for _ in range(60):
            if topics(replies):
                break
            client.sleep(0.5)
        assert TOPICS[PROLOTHERAPY] in topics(replies)
        assert any(r.get("text") for r in replies)
    finally:
        client.disconnect()


def test_a_booking_lands_in_postgresql_and_in_the_staff_console(scaled):
    sender = f"scaled-booking-{uuid.uuid4().hex[:8]}"
    for step in ["I'd like to book an appointment", "Ada Lovelace-Byron", "708-555-0188",
                 '/choose_office{"office": "oak_park"}', "weekday mornings", "skip", "/affirm"]:
        send(scaled, step, sender)
    confirmation = send(scaled, "/confirm_booking", sender).json()
    reference = next(m["custom"] for m in confirmation if "custom" in m)["booking_reference"]

    engine = create_engine(scaled.database_url)
    with engine.connect() as connection:
        rows = connection.execute(text("select reference, full_name from booking_requests "
                                       "where conversation_id = :s"), {"s": sender}).fetchall()
    engine.dispose()
    assert [tuple(row) for row in rows] == [(reference, "Ada Lovelace-Byron")]

    env = {**os.environ, "DATABASE_URL": scaled.database_url, "PYTHONPATH": str(PROJECT_ROOT),
           "STAFF_SECRET_FILE": str(scaled.workdir / "staff_secret_key")}
    subprocess.run([sys.executable, "-m", "webapp.staff.cli", "create-user", "scaled-admin", "--role", "admin",
                    "--password-stdin"], input=PASSWORD + "\n", text=True, env=env, check=True,
                   cwd=PROJECT_ROOT, capture_output=True)
    web = f"http://127.0.0.1:{scaled.ports.web}"
    session = requests.Session()
    login = session.get(f"{web}/staff/login", timeout=30).text
    token = re.search(r'name="csrf_token" (?:type="hidden" )?value="([^"]+)"', login).group(1)
    assert session.post(f"{web}/staff/login", timeout=30, data={
        "username": "scaled-admin", "password": PASSWORD, "csrf_token": token}).ok
    bookings = session.get(f"{web}/staff/bookings", timeout=30)
    assert bookings.ok and reference in bookings.text and "Ada Lovelace-Byron" in bookings.text
    transcript = session.get(f"{web}/staff/conversations/{sender}", timeout=30)
    assert transcript.ok and "708-555-0188" in transcript.text
    # the list, its filters and the overview read the summaries, built here on PostgreSQL
    listed = session.get(f"{web}/staff/conversations", params={"flag": "booking", "q": "book an appointment"},
                         timeout=60)
    assert listed.ok and sender in listed.text
    assert sender not in session.get(f"{web}/staff/conversations", params={"flag": "urgent"}, timeout=60).text
    overview = session.get(f"{web}/staff/overview", timeout=60)
    assert overview.ok and "booking requests" in overview.text


def test_one_conversation_flooded_through_both_replicas_stays_in_order(scaled):
    """50 messages at once in one conversation, through both replicas, while 31
    other visitors chat: every message stored once, each turn finished (its own
    answer, then listening) before the next message's turn begins.

    The messages are the two questions themselves, 25 times each: a marker such
    as "[12]" in the text changes what the classifier makes of it (the
    selector's confidence fell from 0.91 to 0.3 with one model), and this test
    is about ordering, not about the model.
    """
    flooded = f"flood-{uuid.uuid4().hex[:8]}"
    sent = [(FUSION, PROLOTHERAPY)[i % 2] for i in range(50)]

    def visitor(n: int) -> list[list[str]]:
        return [topics(send(scaled, (FUSION, PROLOTHERAPY)[k % 2], f"visitor-{n}-{flooded}").json())
                for k in range(4)]

    with ThreadPoolExecutor(max_workers=81) as pool:
        others = [pool.submit(visitor, n) for n in range(31)]
        flood = [(message, pool.submit(send, scaled, message, flooded)) for message in sent]
        replies = [(message, future.result().json()) for message, future in flood]
        other_replies = [future.result() for future in others]

    # Each HTTP reply is the answer to its own message.
    assert [topics(reply) for _, reply in replies] == [[TOPICS[message]] for message, _ in replies]
    assert all(reply == [[TOPICS[FUSION]], [TOPICS[PROLOTHERAPY]]] * 2 for reply in other_replies)

    # In the tracker store: turns one after the other, never interleaved.
    stored = events(scaled, flooded)
    turns: list[list[tuple[str, dict]]] = []
    for kind, data in stored:
        if kind == "user":
            turns.append([])
        if turns:
            turns[-1].append((kind, data))
    user_texts = [turn[0][1]["text"] for turn in turns]
    assert sorted(user_texts) == sorted(sent), "a message was lost or stored twice"
    for turn in turns:
        message = turn[0][1]["text"]
        answered = topics([e["data"] for kind, e in turn if kind == "bot" and e.get("data")])
        assert answered == [TOPICS[message]], f"turn of {message!r} holds {answered}"
        last_action = [e["name"] for kind, e in turn if kind == "action"][-1]
        assert last_action == "action_listen", f"turn of {message!r} ends with {last_action}"


# ---- faults: each part killed in turn (last in this module: it disturbs the profile) ----

RECOVERY_TIMEOUT = 180
HONEST = "unavailable"  # the "we can't answer right now, call ..." reply (assistant/channels.py)


def reply_kind(messages: list[dict]) -> str:
    """ "answer", "unavailable", or what else came back (an empty reply is "none")."""
    customs = [m.get("custom") or {} for m in messages]
    if any(c.get("reason") == HONEST for c in customs):
        return HONEST
    return "answer" if topics(messages) else (customs[0].get("kind", "?") if customs else "none")


class Visitor(threading.Thread):
    """One visitor asking the two questions in turn, one message every half second, until stopped."""

    def __init__(self, profile: Profile, sender: str):
        super().__init__(daemon=True)
        self.profile, self.sender = profile, sender
        self.sent: list[str] = []
        self.replies: list[str] = []
        self.phases: list[str] = []  # what was being done to the profile when each reply came
        self.phase = "before"
        self.longest = 0.0  # seconds: the slowest reply
        self.done = threading.Event()

    def run(self) -> None:
        while not self.done.is_set():
            message = (FUSION, PROLOTHERAPY)[len(self.sent) % 2]
            self.sent.append(message)
            started = time.monotonic()
            try:
                response = requests.post(f"{self.profile.chat_url}/webhooks/rest/webhook",
                                         json={"sender": self.sender, "message": message}, timeout=120)
                self.replies.append(reply_kind(response.json()) if response.ok else f"http {response.status_code}")
            except requests.RequestException as error:
                self.replies.append(type(error).__name__)
            self.phases.append(self.phase)
            self.longest = max(self.longest, time.monotonic() - started)
            time.sleep(0.5)


def answers_normally(profile: Profile) -> bool:
    with contextlib.suppress(requests.RequestException, ValueError):
        response = requests.post(f"{profile.chat_url}/webhooks/rest/webhook",
                                 json={"sender": f"probe-{uuid.uuid4().hex[:8]}", "message": FUSION}, timeout=60)
        return response.ok and topics(response.json()) == [TOPICS[FUSION]]
    return False


def recovered(running: Running, program: str, old_pid: int) -> bool:
    """Restarted by supervisord, every program running, and the chat answering through HAProxy."""
    states = running.states()
    return (running.pid(program) not in (0, old_pid) and set(states.values()) == {"RUNNING"}
            and answers_normally(running.profile) and balancer_sees_every_replica(running.profile))


FAULTS = ("rasa1", "actions1", "redis", "postgres")
VISITORS = 8


def stored_turns(profile: Profile, visitor: Visitor) -> tuple[list[str], int]:
    """The visitor's messages as the tracker store holds them, and how many turns hold two answers.

    Waits up to a minute for them to match what was sent: a turn journaled while the
    database was away is replayed with the conversation's next save.
    """
    deadline = time.monotonic() + 60
    while True:
        stored = events(profile, visitor.sender)
        users = [data["text"] for kind, data in stored if kind == "user"]
        if users == visitor.sent or time.monotonic() > deadline:
            break
        time.sleep(2)
    answers, turn = Counter(), -1
    for kind, data in stored:
        if kind == "user":
            turn += 1
        elif kind == "bot" and (data.get("data") or {}).get("custom", {}).get("kind") == "answer":
            answers[turn] += 1
    return users, sum(1 for n in answers.values() if n > 1)


def test_each_part_killed_in_turn_is_started_again_and_no_visitor_message_is_lost(scaled_running, capsys):
    """8 visitors chat through HAProxy while a Rasa replica, an action server, Redis and
    PostgreSQL are each killed with SIGKILL, in turn: supervisord starts each again with the
    rest still up, every message gets an answer or the honest "can't answer now" reply, and
    the tracker store holds each message once, in order, with one answer per turn."""
    running, profile = scaled_running, scaled_running.profile
    visitors = [Visitor(profile, f"chaos-{n}-{uuid.uuid4().hex[:6]}") for n in range(VISITORS)]
    for visitor in visitors:
        visitor.start()
    recovery: dict[str, float] = {}
    try:
        time.sleep(3)
        for program in FAULTS:
            old_pid = running.pid(program)
            for visitor in visitors:
                visitor.phase = program
            os.kill(old_pid, signal.SIGKILL)
            killed_at = time.monotonic()
            while not recovered(running, program, old_pid):
                running.check_alive()  # supervisord, and with it the profile, is still up
                assert time.monotonic() - killed_at < RECOVERY_TIMEOUT, \
                    f"{program} not back within {RECOVERY_TIMEOUT} s: {running.states()}"
                time.sleep(1)
            recovery[program] = time.monotonic() - killed_at
            time.sleep(3)
    finally:
        for visitor in visitors:
            visitor.done.set()
        for visitor in visitors:
            visitor.join(timeout=180)

    replies = Counter(kind for visitor in visitors for kind in visitor.replies)
    honest = Counter(phase for visitor in visitors
                     for kind, phase in zip(visitor.replies, visitor.phases, strict=True) if kind != "answer")
    sent = sum(len(visitor.sent) for visitor in visitors)
    stored = [stored_turns(profile, visitor) for visitor in visitors]
    in_order = sum(users == visitor.sent for (users, _), visitor in zip(stored, visitors, strict=True))
    doubled = sum(twice for _, twice in stored)
    with capsys.disabled():  # the counts belong in `make test`'s output, passed or not
        print(f"\nchaos: {VISITORS} visitors, {sent} messages sent, {sum(len(u) for u, _ in stored)} stored, "
              f"replies {dict(replies)}, turns with two answers {doubled}, slowest reply "
              f"{max(v.longest for v in visitors):.1f} s; other replies while killed: {dict(honest)}; "
              "back and answering after: "
              + ", ".join(f"{name} {seconds:.1f} s" for name, seconds in recovery.items()))
    assert set(replies) <= {"answer", HONEST}, replies
    assert sum(replies.values()) == sent and replies["answer"] > 0
    assert in_order == VISITORS, "a visitor's messages were lost, stored twice or out of order"
    assert doubled == 0, "a turn holds two answers"
