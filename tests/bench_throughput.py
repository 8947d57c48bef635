"""Throughput beside stock Rasa: ``make bench``.

Starts a stock ``rasa init`` bot (same Rasa, its default in-memory tracker
store, no action server; created and trained once under ``var/bench/stock``),
measures it, stops it, then does the same with this project's bot as
``make run`` serves it (Rasa server, action server, SQL tracker store in
SQLite), and prints both with the ratio. One machine, one bot at a time, so
they never compete for the cores.

Load: a small asyncio client (aiohttp, already a Rasa dependency) drives the
REST channel closed-loop: each simulated visitor sends its next message as
soon as the reply to the previous one has arrived, so throughput and latency
are what the server sustains, not what a fixed arrival rate dictates. Each
visitor cycles through a script of questions and small talk and starts a new
conversation every ``--turns`` messages (10, about a real visit; a conversation
that grows for the whole run would measure tracker length instead). Both bots
get the same script: the stock mood bot answers most of it with its own
intents, and its empty replies (it may choose to say nothing) are counted
apart. An error is a non-200 response or a timeout. Loopback callers
are exempt from the chat rate limits (assistant/limits.py), so the load is
not throttled. Numbers only: this is a script, not a timed test.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import os
import shutil
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import aiohttp
import requests

from assistant.paths import PROJECT_ROOT
from tests.e2e.conftest import BIN, free_port, latest_model, running_bot

STOCK_DIR = PROJECT_ROOT / "var" / "bench" / "stock"
SCRIPT = ["hi", "what is prolotherapy?", "thanks", "is fusion my only option?", "ok",
          "how does PRP compare with a steroid shot?", "where are your offices", "I am sad",
          "what is the SI joint?", "bye"]
LEVELS = (1, 8, 32)


@dataclass
class Result:
    visitors: int
    seconds: float
    latencies: list[float]
    errors: int
    empty: int = 0

    @property
    def throughput(self) -> float:
        return len(self.latencies) / self.seconds

    def percentile(self, share: float) -> float:
        if not self.latencies:
            return float("nan")
        ordered = sorted(self.latencies)
        return ordered[min(len(ordered) - 1, int(share * len(ordered)))] * 1000


async def visitor(session: aiohttp.ClientSession, url: str, script: list[str], turns: int,
                  stop_at: float, measure_from: float, result: Result) -> None:
    n = 0
    while time.monotonic() < stop_at:
        if n % turns == 0:
            sender = f"bench-{uuid.uuid4().hex[:12]}"
        text = script[n % len(script)]
        n += 1
        start = time.monotonic()
        ok, empty = False, False
        with contextlib.suppress(aiohttp.ClientError, asyncio.TimeoutError):
            async with session.post(f"{url}/webhooks/rest/webhook",
                                    json={"sender": sender, "message": text}) as response:
                ok = response.status == 200
                empty = ok and not await response.json()
        end = time.monotonic()
        if start >= measure_from and end <= stop_at:
            if ok:
                result.latencies.append(end - start)
                result.empty += empty
            else:
                result.errors += 1


async def load(url: str, script: list[str], visitors: int, turns: int, seconds: float,
               warmup: float) -> Result:
    result = Result(visitors, seconds, [], 0)
    timeout = aiohttp.ClientTimeout(total=30)
    connector = aiohttp.TCPConnector(limit=0)
    async with aiohttp.ClientSession(timeout=timeout, connector=connector) as session:
        now = time.monotonic()
        measure_from, stop_at = now + warmup, now + warmup + seconds
        await asyncio.gather(*(visitor(session, url, script[i % len(script):] + script[:i % len(script)],
                                       turns, stop_at, measure_from, result)
                               for i in range(visitors)))
    return result


def rss_mib(pid: int) -> float:
    """Resident memory of a process and its children (Rasa forks none; Sanic may)."""
    total = 0
    pids = [pid]
    with contextlib.suppress(OSError):
        children = Path(f"/proc/{pid}/task/{pid}/children").read_text().split()
        pids += [int(c) for c in children]
    for p in pids:
        with contextlib.suppress(OSError):
            for line in Path(f"/proc/{p}/status").read_text().splitlines():
                if line.startswith("VmRSS:"):
                    total += int(line.split()[1])
    return total / 1024


def stock_model() -> Path:
    """The stock ``rasa init`` project, created and trained once."""
    models = sorted((STOCK_DIR / "models").glob("*.tar.gz")) if STOCK_DIR.exists() else []
    if models:
        return models[-1]
    STOCK_DIR.mkdir(parents=True, exist_ok=True)  # rasa init wants the folder to exist
    print("creating and training the stock `rasa init` bot (once) ...", flush=True)
    subprocess.run([str(BIN / "rasa"), "init", "--no-prompt", "--init-dir", str(STOCK_DIR)],
                   check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                   env={**os.environ, "RASA_TELEMETRY_ENABLED": "false"})
    return sorted((STOCK_DIR / "models").glob("*.tar.gz"))[-1]


@contextlib.contextmanager
def stock_bot() -> Iterator[tuple[str, dict[str, int]]]:
    model = stock_model()
    port = free_port()
    env = {**os.environ, "RASA_TELEMETRY_ENABLED": "false", "TF_CPP_MIN_LOG_LEVEL": "2"}
    log = (STOCK_DIR / "run.log").open("w")
    proc = subprocess.Popen([str(BIN / "rasa"), "run", "--model", str(model), "--port", str(port)],
                            cwd=STOCK_DIR, env=env, stdout=log, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 180
        while True:
            with contextlib.suppress(requests.RequestException):
                reply = requests.post(f"{url}/webhooks/rest/webhook",
                                      json={"sender": "warmup", "message": "hi"}, timeout=10)
                if reply.ok and reply.json():
                    break
            if proc.poll() is not None or time.monotonic() > deadline:
                sys.exit(f"stock bot did not start; see {STOCK_DIR / 'run.log'}")
            time.sleep(1)
        yield url, {"rasa": proc.pid}
    finally:
        proc.terminate()
        with contextlib.suppress(subprocess.TimeoutExpired):
            proc.wait(timeout=30)


@contextlib.contextmanager
def our_bot() -> Iterator[tuple[str, dict[str, int]]]:
    with tempfile.TemporaryDirectory() as workdir, running_bot(Path(workdir)) as bot:
        bot.send("hi", "warmup")
        yield bot.url, {"rasa": bot.rasa.pid, "actions": bot.actions.pid}


@contextlib.contextmanager
def scaled_bot(replicas: int) -> Iterator[tuple[str, dict[str, int]]]:
    """The `make run-scaled` profile on free ports: PostgreSQL, Redis, HAProxy, N replicas."""
    from assistant.tools.scaled import Ports, Profile, started

    workdir = Path(tempfile.mkdtemp(prefix="si-bench-scaled-"))
    workdir.chmod(0o755)  # PostgreSQL runs as its own user when we are root
    ports = Ports(front=free_port(), actions=free_port(), web=free_port(), models=free_port(),
                  postgres=free_port(), redis=free_port(), replicas=[free_port() for _ in range(replicas)],
                  action_servers=[free_port(), free_port()])
    profile = Profile(workdir=workdir, replicas=replicas, ports=ports, model=latest_model())
    try:
        with started(profile) as running:
            requests.post(f"{profile.chat_url}/webhooks/rest/webhook",
                          json={"sender": "warmup", "message": "hi"}, timeout=60)
            yield profile.chat_url, {name: running.pid(name) for name in running.states()
                                     if name.startswith(("rasa", "actions"))}
    finally:
        shutil.rmtree(workdir, ignore_errors=True)


def measure(name: str, bot: contextlib.AbstractContextManager, levels: tuple[int, ...], turns: int,
            seconds: float, warmup: float) -> tuple[dict[int, Result], dict[str, float]]:
    print(f"{name}: starting ...", flush=True)
    results: dict[int, Result] = {}
    with bot as (url, pids):
        for visitors in levels:
            results[visitors] = asyncio.run(load(url, SCRIPT, visitors, turns, seconds, warmup))
            r = results[visitors]
            print(f"  {visitors:3d} visitors: {r.throughput:6.1f} msg/s, p50 {r.percentile(0.5):6.0f} ms, "
                  f"p95 {r.percentile(0.95):6.0f} ms, p99 {r.percentile(0.99):6.0f} ms, errors {r.errors}, "
                  f"empty replies {r.empty}",
                  flush=True)
        memory = {process: rss_mib(pid) for process, pid in pids.items()}
    return results, memory


def print_comparison(base: tuple[str, dict[int, Result]], other: tuple[str, dict[int, Result]],
                     levels: tuple[int, ...]) -> None:
    """A markdown table: throughput, ratio (other / base), latency percentiles and errors per level."""
    (a_name, a_results), (b_name, b_results) = base, other
    print(f"| visitors | {a_name} msg/s | {b_name} msg/s | ratio | {a_name} p50 / p95 / p99 ms "
          f"| {b_name} p50 / p95 / p99 ms | errors {a_name} / {b_name} |")
    print("|---|---|---|---|---|---|---|")
    for visitors in levels:
        a, b = a_results[visitors], b_results[visitors]
        print(f"| {visitors} | {a.throughput:.1f} | {b.throughput:.1f} | {b.throughput / a.throughput:.2f}x "
              f"| {a.percentile(.5):.0f} / {a.percentile(.95):.0f} / {a.percentile(.99):.0f} "
              f"| {b.percentile(.5):.0f} / {b.percentile(.95):.0f} / {b.percentile(.99):.0f} "
              f"| {a.errors} / {b.errors} |")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--seconds", type=float, default=20.0, help="measured seconds per level")
    parser.add_argument("--warmup", type=float, default=3.0, help="unmeasured seconds before each level")
    parser.add_argument("--levels", type=int, nargs="+", default=list(LEVELS))
    parser.add_argument("--turns", type=int, default=10, help="messages per conversation")
    parser.add_argument("--no-scaled", action="store_true",
                        help="skip the scaled profile (make run-scaled with 1 and 2 replicas)")
    args = parser.parse_args(argv)
    levels = tuple(args.levels)
    scaled = {} if args.no_scaled else {
        n: measure(f"scaled profile, {n} replica(s)", scaled_bot(n), levels, args.turns, args.seconds,
                   args.warmup) for n in (1, 2)}
    stock, stock_mem = measure("stock `rasa init` bot", stock_bot(), levels, args.turns, args.seconds, args.warmup)
    ours, our_mem = measure("this project (make run)", our_bot(), levels, args.turns, args.seconds, args.warmup)
    print(f"\nclosed-loop REST load, {args.seconds:.0f} s per level after {args.warmup:.0f} s warm-up, "
          f"{args.turns} messages per conversation, {os.cpu_count()} cores")
    print_comparison(("stock", stock), ("ours", ours), levels)
    print("memory (RSS): stock " + ", ".join(f"{k} {v:.0f} MiB" for k, v in stock_mem.items())
          + "; ours " + ", ".join(f"{k} {v:.0f} MiB" for k, v in our_mem.items()))
    if scaled:
        (one, _), (two, two_mem) = scaled[1], scaled[2]
        print("\nscaled profile (PostgreSQL tracker store, Redis lock store, HAProxy, 2 action servers):")
        print_comparison(("1 replica", one), ("2 replicas", two), levels)
        print("memory (RSS), 2 replicas: " + ", ".join(f"{k} {v:.0f} MiB" for k, v in two_mem.items()))
    return 0


if __name__ == "__main__":
    sys.exit(main())
