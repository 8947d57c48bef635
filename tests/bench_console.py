"""Staff console response times on a large tracker store.

Seeds a temporary SQLite database (the `make run` default) with ``--conversations``
conversations (default 100,000) of 15 tracker events each, about 1.5 million
events, shaped as Rasa writes them (session start, listen, user message with
parse data, action, bot message with its ``custom`` payload, slots), spread
over 60 days; 5% of the answers rated by visitors. Then it times, through
Flask's test client signed in as staff, each console page ``--runs`` times and
prints the median and the slowest: the list, a deep page, each kind of filter,
search with and without hits, a transcript and the overview (after one
untimed request to each, which warms templates and caches as a running
server is warm). Each request
includes the summaries' refresh (assistant/summaries.py); the first build of
the summaries and a refresh after 200 new conversations are timed separately.
Run with ``make bench-console``.
"""

from __future__ import annotations

import argparse
import io
import json
import os
import random
import sqlite3
import statistics
import tempfile
import time
import uuid
from pathlib import Path

FAQS = ["fusion_only_option", "prolotherapy_what", "prp_what", "si_joint_what", "study_cusi_2010",
        "diagnostic_nerve_block", "referral_pain_patterns", "sacroiliitis"]
QUESTIONS = ["is fusion my only option?", "what is prolotherapy?", "does PRP work for the SI joint?",
             "my hip and groin hurt, is it my SI joint?", "how long does prolotherapy take to work?",
             "I had a fusion and still have pain", "what did the Cusi study find?"]
OFF_TOPIC = ["where can I park?", "do you take my insurance?", "what's the weather tomorrow?"]
PASSWORD = "a long enough passphrase 42"


def conversation_events(sender: str, start: float, rng: random.Random) -> list[tuple]:
    """15 events: the shape of a three-turn chat in Rasa's SQL tracker store."""
    rows: list[tuple] = []
    clock = start

    def event(type_name: str, data: dict, intent: str | None = None, action: str | None = None) -> None:
        nonlocal clock
        clock += rng.uniform(0.05, 20)
        rows.append((sender, type_name, clock, intent, action, json.dumps({"event": type_name, **data})))

    event("action", {"name": "action_session_start"}, action="action_session_start")
    event("session_started", {})
    event("action", {"name": "action_listen"}, action="action_listen")
    for turn in range(3):
        roll = rng.random()
        if roll < 0.12:
            text, kind, topic = rng.choice(OFF_TOPIC), "fallback", None
        elif roll < 0.13:
            text, kind, topic = "my legs are numb and I can't control my bladder", "urgent", None
        elif roll < 0.18:
            text, kind, topic = "injections", "clarify", None
        else:
            text, kind, topic = rng.choice(QUESTIONS), "answer", rng.choice(FAQS)
        text = f"{text} ({rng.randrange(10**6)})" if turn else text
        event("user", {"text": text, "parse_data": {"intent": {"name": "faq", "confidence": 0.93},
                                                    "text": text}}, intent="faq")
        event("action", {"name": "action_answer"}, action="action_answer")
        custom = {"kind": kind, **({"topic": topic, "answer": "An answer.", "sources": []} if topic else {})}
        event("bot", {"text": "A reply.", "data": {"custom": custom}})
        event("action", {"name": "action_listen"}, action="action_listen")
    event("slot", {"name": "last_topic", "value": "x"})
    return rows


def seed(path: Path, conversations: int, rng: random.Random) -> tuple[int, list[str]]:
    now = time.time()
    senders, events, ratings = [], 0, []
    with sqlite3.connect(path) as db:
        batch: list[tuple] = []
        for _ in range(conversations):
            sender = uuid.uuid4().hex
            senders.append(sender)
            rows = conversation_events(sender, now - rng.uniform(0, 60 * 86400), rng)
            batch += rows
            if rng.random() < 0.05:
                topic = next((json.loads(r[5])["data"]["custom"].get("topic") for r in rows
                              if r[1] == "bot" and "topic" in r[5]), None)
                if topic:
                    ratings.append((sender, topic, rng.random() < 0.6))
            if len(batch) >= 60_000:
                db.executemany("insert into events (sender_id, type_name, timestamp, intent_name, action_name, "
                               "data) values (?, ?, ?, ?, ?, ?)", batch)
                events += len(batch)
                batch = []
        db.executemany("insert into events (sender_id, type_name, timestamp, intent_name, action_name, data) "
                       "values (?, ?, ?, ?, ?, ?)", batch)
        events += len(batch)
        stamp = time.strftime("%Y-%m-%d %H:%M:%S", time.gmtime())
        db.executemany("insert into answer_feedback (conversation_id, topic, helpful, created_at, updated_at) "
                       "values (?, ?, ?, ?, ?)", [(s, t, h, stamp, stamp) for s, t, h in ratings])
    db.close()
    return events, senders


def timed(client, url: str, runs: int) -> tuple[float, float]:
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        response = client.get(url)
        times.append((time.perf_counter() - started) * 1000)
        assert response.status_code == 200, (url, response.status_code)
    return statistics.median(times), max(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--conversations", type=int, default=100_000)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--keep", type=Path, help="a folder to keep the seeded database in (and reuse)")
    args = parser.parse_args()
    rng = random.Random(7)
    with tempfile.TemporaryDirectory() as workdir:
        path = (args.keep or Path(workdir)) / "rasa.db"
        path.parent.mkdir(parents=True, exist_ok=True)
        reuse = path.exists()
        os.environ["DATABASE_URL"] = f"sqlite:///{path}"
        os.environ["STAFF_SECRET_FILE"] = str(Path(workdir) / "key")
        from assistant import summaries
        from assistant.store import get_engine, migrate, tracker_metadata

        migrate()
        with get_engine().begin() as connection:
            tracker_metadata.create_all(connection)
        started = time.perf_counter()
        if reuse:
            with sqlite3.connect(path) as db:
                senders = [row[0] for row in db.execute("select distinct sender_id from events limit 1000")]
                events = db.execute("select count(*) from events").fetchone()[0]
            db.close()
            print(f"reusing {path}: {events:,} events")
        else:
            events, senders = seed(path, args.conversations, rng)
            print(f"seeded {len(senders):,} conversations, {events:,} events in "
                  f"{time.perf_counter() - started:.0f} s ({path.stat().st_size / 2**20:.0f} MiB)")
        started = time.perf_counter()
        with get_engine().connect() as connection:
            built = summaries.refresh(connection)
        print(f"first build of the summaries: {built:,} conversations in {time.perf_counter() - started:.1f} s "
              "(once, at the first console request after the upgrade)")

        import sys

        from webapp import create_app
        from webapp.staff.cli import main as cli

        sys.stdin = io.StringIO(PASSWORD + "\n")
        if not reuse:
            cli(["create-user", "bench", "--role", "staff", "--password-stdin"])
        client = create_app({"TESTING": True, "WTF_CSRF_ENABLED": False}).test_client()
        assert client.post("/staff/login", data={"username": "bench", "password": PASSWORD}).status_code == 302

        pages = [
            ("conversation list", "/staff/conversations"),
            ("list, page 2,000", "/staff/conversations?page=2000"),
            ("filter: urgent", "/staff/conversations?flag=urgent"),
            ("filter: not helpful", "/staff/conversations?flag=unhelpful"),
            ("filter: dates (one week)", "/staff/conversations?from=" + time.strftime(
                "%Y-%m-%d", time.gmtime(time.time() - 14 * 86400)) + "&to=" + time.strftime(
                "%Y-%m-%d", time.gmtime(time.time() - 7 * 86400))),
            ("search: 'park' (hits)", "/staff/conversations?q=park"),
            ("search: no hits", "/staff/conversations?q=zebra%20crossing"),
            ("search + flag", "/staff/conversations?q=fusion&flag=fallback"),
            ("transcript", f"/staff/conversations/{senders[len(senders) // 2]}"),
            ("overview (30 days)", "/staff/overview"),
        ]
        for _, url in pages:  # templates, the FAQ file and the pools warm up once, as in a running server
            client.get(url)
        print(f"\n{'page':<28}{'median ms':>10}{'max ms':>9}   (test client, {args.runs} runs each)")
        worst = 0.0
        for name, url in pages:
            median, slowest = timed(client, url, args.runs)
            worst = max(worst, slowest)
            print(f"{name:<28}{median:>10.0f}{slowest:>9.0f}")

        started = time.perf_counter()
        admin = create_app({"TESTING": True, "WTF_CSRF_ENABLED": False}).test_client()
        if not reuse:
            sys.stdin = io.StringIO(PASSWORD + "\n")
            cli(["create-user", "bench-admin", "--role", "admin", "--password-stdin"])
        admin.post("/staff/login", data={"username": "bench-admin", "password": PASSWORD})
        size = len(admin.get("/staff/export/conversations.csv").data)
        print(f"{'CSV export, every chat':<28}{(time.perf_counter() - started) * 1000:>10.0f}"
              f"{'':>9}   ({size / 2**20:.1f} MiB; a download, not a page)")

        more: list[tuple] = []
        for _ in range(200):
            more += conversation_events(uuid.uuid4().hex, time.time(), rng)
        with sqlite3.connect(path) as db:
            db.executemany("insert into events (sender_id, type_name, timestamp, intent_name, action_name, data) "
                           "values (?, ?, ?, ?, ?, ?)", more)
        db.close()
        median, slowest = timed(client, "/staff/conversations", 1)
        print(f"{'list after 200 new chats':<28}{median:>10.0f}{slowest:>9.0f}   (includes their summaries)")
        print(f"\nslowest page: {worst:.0f} ms (bar: 300 ms)")


if __name__ == "__main__":
    main()
