"""The atomic Redis lock store (assistant/lock_store.py) against a real redis-server on loopback.

What the scaled profile relies on: tickets are unique even when many
processes take them at once, they are served in order, a ticket whose holder
died stops blocking the conversation after its lifetime, and nothing is left
in Redis once a conversation's queue is empty.
"""

from __future__ import annotations

import asyncio
import os
import shutil
import subprocess
import sys
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
import redis
from rasa.core.lock_store import LockError

from assistant.lock_store import AtomicRedisLockStore
from assistant.paths import PROJECT_ROOT
from tests.e2e.conftest import free_port


@pytest.fixture(scope="module")
def redis_url(tmp_path_factory) -> Iterator[str]:
    if not shutil.which("redis-server"):
        pytest.fail("redis-server missing: `make test` installs it (scripts/install-scaled.sh)")
    port = free_port()
    workdir: Path = tmp_path_factory.mktemp("redis")
    server = subprocess.Popen(["redis-server", "--port", str(port), "--bind", "127.0.0.1", "--save", "",
                               "--appendonly", "no", "--dir", str(workdir)], stdout=subprocess.DEVNULL)
    client = redis.Redis(port=port)
    deadline = time.monotonic() + 20
    while True:
        try:
            client.ping()
            break
        except redis.ConnectionError:
            if time.monotonic() > deadline:
                server.kill()
                raise
            time.sleep(0.05)
    yield f"redis://127.0.0.1:{port}/0"
    server.terminate()
    server.wait(timeout=10)


def store(url: str) -> AtomicRedisLockStore:
    """A store with its own connection, as each Rasa replica has."""
    return AtomicRedisLockStore(client=redis.Redis.from_url(url))


def test_tickets_taken_at_once_by_many_clients_are_unique(redis_url):
    stores = [store(redis_url) for _ in range(8)]
    with ThreadPoolExecutor(max_workers=8) as pool:
        tickets = list(pool.map(lambda i: stores[i % 8].issue_ticket("crowded", 30), range(400)))
    assert sorted(tickets) == list(range(1, 401))
    assert stores[0].now_serving("crowded") == 1


def test_rasas_own_redis_lock_store_hands_out_duplicate_tickets_under_the_same_load(redis_url):
    """Why this store exists: Rasa 3.6's RedisLockStore reads, changes and writes
    the lock as one JSON value, so clients taking tickets at once get the same
    number (here typically about 80 of 400 distinct). If a Rasa upgrade fixes
    that, this test fails and the custom store can go."""
    from rasa.core.lock_store import RedisLockStore

    port = int(redis_url.rsplit(":", 1)[1].split("/")[0])
    stores = [RedisLockStore(host="127.0.0.1", port=port, key_prefix="stock") for _ in range(8)]
    with ThreadPoolExecutor(max_workers=8) as pool:
        tickets = list(pool.map(lambda i: stores[i % 8].issue_ticket("crowded", 30), range(400)))
    assert len(set(tickets)) < len(tickets)


def test_turns_follow_ticket_order_and_nothing_is_left_behind(redis_url):
    first, second = store(redis_url), store(redis_url)
    one = first.issue_ticket("visitor", 30)
    two = second.issue_ticket("visitor", 30)
    assert first.now_serving("visitor") == one
    first.finish_serving("visitor", one)
    assert second.now_serving("visitor") == two
    second.finish_serving("visitor", two)
    assert not first.is_someone_waiting("visitor")
    assert redis.Redis.from_url(redis_url).keys("lock:{visitor}*") == []


def test_a_dead_holder_blocks_the_conversation_for_one_lifetime_at_most(redis_url):
    lock_store = store(redis_url)
    lock_store.issue_ticket("crashed", 0.3)  # taken by a replica that then died
    waiting = lock_store.issue_ticket("crashed", 30)
    assert lock_store.now_serving("crashed") != waiting
    time.sleep(0.5)
    assert lock_store.now_serving("crashed") == waiting


def critical_sections(stores: list[AtomicRedisLockStore], conversation: str, count: int) -> tuple[list, list]:
    """``count`` critical sections of one conversation, taken in turn from ``stores`` at once:
    the ones that found another inside, and the order they ran in."""
    inside: list[int] = []
    overlaps: list[int] = []
    order: list[int] = []

    async def turn(n: int) -> None:
        async with stores[n % len(stores)].lock(conversation, lock_lifetime=30):
            inside.append(n)
            if len(inside) > 1:
                overlaps.append(n)
            order.append(n)
            await asyncio.sleep(0.002)
            inside.remove(n)

    async def main() -> None:
        await asyncio.gather(*(turn(n) for n in range(count)))

    asyncio.run(main())
    return overlaps, order


def test_concurrent_lock_holders_never_overlap(redis_url):
    """Two stores (two replicas) run 40 critical sections of one conversation."""
    overlaps, order = critical_sections([store(redis_url), store(redis_url)], "busy", 40)
    assert overlaps == []
    assert sorted(order) == list(range(40))


def test_a_waiter_whose_lease_ran_out_does_not_become_a_second_holder(redis_url):
    """Its turn may have been skipped meanwhile: it gives up instead of running late."""
    lock_store = store(redis_url)
    holder = lock_store.issue_ticket("slow", 30)

    async def wait_then_release() -> None:
        async def waiter() -> None:
            async with lock_store.lock("slow", lock_lifetime=0.2):
                pass

        task = asyncio.ensure_future(waiter())
        await asyncio.sleep(0.5)  # the waiter's lease has run out; the holder is still busy
        assert not task.done()
        lock_store.finish_serving("slow", holder)
        await task

    with pytest.raises(LockError):
        asyncio.run(wait_then_release())
    assert not lock_store.is_someone_waiting("slow")


def test_with_redis_away_one_process_still_serialises_each_conversation():
    """Nothing listens on the port (Redis killed, restarting): messages are still
    handled, one at a time per conversation, with a lock in this process."""
    lock_store = AtomicRedisLockStore(client=redis.Redis(port=free_port(), socket_timeout=2))
    overlaps, order = critical_sections([lock_store], "redis-away", 20)
    assert overlaps == [] and sorted(order) == list(range(20))
    assert lock_store._local._locks == {}, "a conversation's local lock outlived its last holder"


def test_a_command_redis_refuses_is_still_an_error(redis_url):
    """Only Redis being away falls back to a local lock; a refused script is not hidden."""
    client = redis.Redis.from_url(redis_url)
    lock_store = AtomicRedisLockStore(client=client)
    client.set("lock:{wrong-type}:n", "not a number")

    async def hold() -> None:
        async with lock_store.lock("wrong-type", lock_lifetime=5):
            pass

    with pytest.raises(LockError):
        asyncio.run(hold())
    client.delete("lock:{wrong-type}:n")


HOLDER = """
import asyncio, sys, redis
from assistant.lock_store import AtomicRedisLockStore
from assistant.paths import PROJECT_ROOT

async def main():
    store = AtomicRedisLockStore(client=redis.Redis.from_url(sys.argv[1]))
    async with store.lock("killed-holder", lock_lifetime=60):
        print("held", flush=True)
        await asyncio.sleep(3600)

asyncio.run(main())
"""


def test_a_live_holder_keeps_its_turn_and_a_killed_one_blocks_for_one_lease(redis_url):
    """A replica killed mid-message (SIGKILL: no clean-up) blocks its conversation for one
    lease (here 1 s), not for Rasa's 60 s lock lifetime; while it lives, renewals keep its turn."""
    env = {**os.environ, "LOCK_STORE_LEASE_SECONDS": "1", "PYTHONPATH": str(PROJECT_ROOT)}
    holder = subprocess.Popen([sys.executable, "-c", HOLDER, redis_url], env=env, stdout=subprocess.PIPE,
                              text=True)
    try:
        assert holder.stdout.readline().strip() == "held"
        lock_store = store(redis_url)
        held = lock_store.now_serving("killed-holder")
        time.sleep(2.5)  # more than two leases: renewed
        assert lock_store.now_serving("killed-holder") == held != 0
        holder.kill()
        holder.wait(timeout=10)
        killed_at = time.monotonic()

        async def next_message() -> float:
            async with lock_store.lock("killed-holder", lock_lifetime=60):
                return time.monotonic() - killed_at

        waited = asyncio.run(next_message())
    finally:
        holder.kill()
    assert waited < 1.5, f"the next message waited {waited:.1f} s"


def test_redis_gone_while_waiting_for_a_turn_falls_back_to_a_local_lock(redis_url, monkeypatch):
    """Its ticket was issued, then Redis went away (killed, restarting) and took the queue with it."""
    lock_store = store(redis_url)

    def gone(conversation_id: str) -> int:
        raise redis.ConnectionError("Connection refused")

    monkeypatch.setattr(lock_store, "now_serving", gone)

    async def handle() -> bool:
        async with lock_store.lock("gone-while-waiting", lock_lifetime=30):
            return True

    assert asyncio.run(handle())
    assert lock_store._local._locks == {}
