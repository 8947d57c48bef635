"""Latency per message along one long conversation, with and without the session limit.

Starts the real Rasa and action servers twice (the e2e harness, temporary
SQLite tracker store): once with ``SESSION_MAX_MESSAGES=0`` (Rasa's own
behaviour: one session until an idle gap) and once with the project's default
(assistant/sessions.py). Each run sends ``--messages`` messages in one
conversation, one at a time, and prints the median latency around message 1,
200 and 400. Run with ``make bench-conversation``.
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
import uuid
from pathlib import Path

from assistant.sessions import DEFAULT_MAX_MESSAGES
from tests.e2e.conftest import running_bot

MESSAGES = ["what is prolotherapy?", "thanks", "is fusion my only option?", "ok",
            "how does PRP compare with a steroid shot?", "where are your offices", "no",
            "what is the SI joint?"]
WINDOW = 10


def latencies(limit: int, count: int) -> list[float]:
    with tempfile.TemporaryDirectory() as workdir, \
            running_bot(Path(workdir), extra_env={"SESSION_MAX_MESSAGES": str(limit)}) as bot:
        sender = uuid.uuid4().hex
        times = []
        for n in range(count):
            start = time.perf_counter()
            bot.send(MESSAGES[n % len(MESSAGES)], sender)
            times.append(time.perf_counter() - start)
        return times


def around(times: list[float], message: int) -> float:
    """Median latency (ms) of the WINDOW messages ending at ``message`` (1-based)."""
    end = max(message, WINDOW) if message > 1 else WINDOW
    return statistics.median(times[end - WINDOW:end]) * 1000


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--messages", type=int, default=400)
    args = parser.parse_args(argv)
    marks = [m for m in (1, 100, 200, 300, 400) if m <= args.messages]
    print(f"one conversation, {args.messages} messages sent one at a time; median ms of "
          f"{WINDOW} messages up to each mark")
    print(f"{'session limit':<28}" + "".join(f"msg {m:>4}  " for m in marks))
    for label, limit in (("off (Rasa's default)", 0),
                         (f"{DEFAULT_MAX_MESSAGES} messages (default)", DEFAULT_MAX_MESSAGES)):
        times = latencies(limit, args.messages)
        print(f"{label:<28}" + "".join(f"{around(times, m):>8.0f}  " for m in marks))


if __name__ == "__main__":
    main()
