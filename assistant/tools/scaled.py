"""The scaled-out profile on one machine: ``make run-scaled REPLICAS=2``.

The production shape of docs/deployment.md, with real parts the project
starts itself under ``var/scaled/`` (the Debian packages come from
``scripts/install-scaled.sh``):

- PostgreSQL: Rasa's tracker store and the project's tables (Alembic
  migrations run against it; the staff console reads it);
- Redis: Rasa's lock store (:mod:`assistant.lock_store`, atomic tickets), so
  one conversation is processed by one replica at a time;
- N Rasa servers and two action servers;
- HAProxy on ``RASA_PORT`` (5005): REST round-robin across the replicas,
  socket.io sticky (a cookie when the client sends one, else the client's
  address: engine.io keeps each connection's state in one process); and on
  ``ACTION_PORT`` (5055) in front of the action servers;
- the model server and the web app (page, widget, staff console), one each.

Every setting is an environment variable (``DATABASE_URL``, ``REDIS_URL``,
``POSTGRES_PASSWORD``, ``CHAT_SESSION_SECRET``, ``ACTION_SERVER_TOKEN``), so
the same processes run on several machines or in containers; here the
secrets are made once under ``var/scaled/`` (mode 600). The end-to-end test
(tests/e2e/test_scaled.py) starts the same profile on free ports.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import secrets
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import requests
import yaml

from assistant.paths import PROJECT_ROOT

BIN = Path(sys.executable).parent
STARTUP_TIMEOUT = 300
DB_NAME = DB_USER = "rasa"


@dataclass
class Ports:
    front: int = 5005  # HAProxy: chat (REST and socket.io)
    actions: int = 5055  # HAProxy: action servers
    web: int = 8000
    models: int = 5056
    postgres: int = 5433
    redis: int = 6380
    replicas: list[int] = field(default_factory=list)
    action_servers: list[int] = field(default_factory=list)


@dataclass
class Profile:
    workdir: Path
    replicas: int = 2
    action_servers: int = 2
    ports: Ports = field(default_factory=Ports)
    model: str | None = None  # a model archive; None: pull from the model server, as `make run` does
    # "redis" is Rasa's own RedisLockStore (not atomic across replicas; tests/e2e/test_scaled.py).
    lock_store: str = "assistant.lock_store.AtomicRedisLockStore"
    extra_env: dict[str, str] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if not self.ports.replicas:
            self.ports.replicas = [5101 + i for i in range(self.replicas)]
        if not self.ports.action_servers:
            self.ports.action_servers = [5151 + i for i in range(self.action_servers)]

    @property
    def database_url(self) -> str:
        return (f"postgresql+psycopg2://{DB_USER}:{self.secret('postgres_password')}"
                f"@127.0.0.1:{self.ports.postgres}/{DB_NAME}")

    @property
    def redis_url(self) -> str:
        return f"redis://127.0.0.1:{self.ports.redis}/0"

    @property
    def chat_url(self) -> str:
        return f"http://127.0.0.1:{self.ports.front}"

    def secret(self, name: str) -> str:
        """A secret from the environment (upper-case name), else made once in the workdir."""
        if os.environ.get(name.upper()):
            return os.environ[name.upper()]
        path = self.workdir / name
        if not path.exists():
            self.workdir.mkdir(parents=True, exist_ok=True)
            path.touch(mode=0o600)
            path.write_text(secrets.token_urlsafe(32))
        return path.read_text().strip()


# ---- configuration files ----

def endpoints_config(profile: Profile) -> str:
    """endpoints.yml with the scaled tracker store, lock store and balanced action server."""
    config = yaml.safe_load((PROJECT_ROOT / "endpoints.yml").read_text())
    config["action_endpoint"]["url"] = f"http://127.0.0.1:{profile.ports.actions}/webhook"
    config["tracker_store"] = {"type": config["tracker_store"]["type"],  # the class make run uses
                               "dialect": "postgresql", "url": "127.0.0.1",
                               "port": profile.ports.postgres, "db": DB_NAME, "username": DB_USER,
                               "password": "${POSTGRES_PASSWORD}"}
    if profile.lock_store == "redis":
        config["lock_store"] = {"type": "redis", "url": "127.0.0.1", "port": profile.ports.redis, "db": 0}
    else:
        config["lock_store"] = {"type": profile.lock_store, "url": profile.redis_url}
    if profile.model:
        config.pop("models", None)
    else:
        config["models"]["url"] = f"http://127.0.0.1:{profile.ports.models}/model"
    return yaml.safe_dump(config, sort_keys=False)


def haproxy_config(profile: Profile) -> str:
    """REST round-robin, socket.io sticky, action servers least-connections; health-checked."""
    def replica_lines(with_cookie: bool) -> str:
        return "\n".join(f"  server rasa{i + 1} 127.0.0.1:{port} check inter 2s"
                         + (f" cookie r{i + 1}" if with_cookie else "")
                         for i, port in enumerate(profile.ports.replicas))

    actions = "\n".join(
        f"  server actions{i + 1} 127.0.0.1:{port} check inter 2s"
        for i, port in enumerate(profile.ports.action_servers))
    return f"""# Written by assistant/tools/scaled.py; edits are overwritten.
global
  maxconn 4096
defaults
  mode http
  option forwardfor
  timeout connect 5s
  timeout client 120s
  timeout server 120s
  timeout http-request 30s
frontend chat
  bind 127.0.0.1:{profile.ports.front}
  use_backend rasa_socketio if {{ path_beg /socket.io/ }}
  default_backend rasa_rest
backend rasa_rest
  balance roundrobin
  option httpchk GET /
  http-response set-header X-Replica %[srv_name]
{replica_lines(False)}
backend rasa_socketio
  # engine.io keeps a connection's state in one process: same client, same replica.
  balance source
  hash-type consistent
  cookie RASA_REPLICA insert indirect nocache httponly
  option httpchk GET /
  http-response set-header X-Replica %[srv_name]
{replica_lines(True)}
frontend actions
  bind 127.0.0.1:{profile.ports.actions}
  default_backend action_servers
backend action_servers
  balance leastconn
  option httpchk GET /health
{actions}
"""


# ---- PostgreSQL and Redis ----

def postgres_bin() -> Path:
    found = sorted(Path("/usr/lib/postgresql").glob("*/bin/initdb"))
    if found:
        return found[-1].parent
    initdb = shutil.which("initdb")
    if not initdb:
        raise SystemExit("PostgreSQL not found: run scripts/install-scaled.sh")
    return Path(initdb).parent


def _as_postgres() -> dict[str, str]:
    """PostgreSQL refuses to run as root: then run it as the Debian package's user."""
    return {"user": "postgres", "group": "postgres"} if os.geteuid() == 0 else {}


def start_postgres(profile: Profile, log: Path) -> subprocess.Popen:
    data = profile.workdir / "postgres"
    if not (data / "PG_VERSION").exists():
        data.mkdir(parents=True, exist_ok=True)
        password_file = profile.workdir / "postgres_password"
        profile.secret("postgres_password")
        if os.geteuid() == 0:
            shutil.chown(data, "postgres", "postgres")
            data.chmod(0o700)
            shutil.chown(password_file, "postgres")
        subprocess.run([str(postgres_bin() / "initdb"), "-D", str(data), "-U", DB_USER,
                        "--auth-host=scram-sha-256", "--auth-local=peer",
                        f"--pwfile={password_file}", "-E", "UTF8"],
                       check=True, stdout=subprocess.DEVNULL, **_as_postgres())
        if os.geteuid() == 0:
            shutil.chown(password_file, "root")
    command = [str(postgres_bin() / "postgres"), "-D", str(data), "-p", str(profile.ports.postgres),
               "-k", str(data), "-c", "listen_addresses=127.0.0.1", "-c", "max_connections=200"]
    # SIGINT is PostgreSQL's "fast shutdown" (Running.stop).
    return subprocess.Popen(command, stdout=log.open("a"), stderr=subprocess.STDOUT, **_as_postgres())


def create_database(profile: Profile, timeout: float = 60) -> None:
    """Wait until PostgreSQL accepts connections and create the database once."""
    import psycopg2

    deadline = time.monotonic() + timeout
    while True:
        try:
            conn = psycopg2.connect(host="127.0.0.1", port=profile.ports.postgres, user=DB_USER,
                                    password=profile.secret("postgres_password"), dbname="postgres")
            break
        except psycopg2.OperationalError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.3)
    conn.autocommit = True
    with conn.cursor() as cursor:
        cursor.execute("SELECT 1 FROM pg_database WHERE datname = %s", (DB_NAME,))
        if cursor.fetchone() is None:
            cursor.execute(f"CREATE DATABASE {DB_NAME}")
    conn.close()


def start_redis(workdir: Path, port: int, log: Path) -> subprocess.Popen:
    """Redis for locks only: nothing to persist (a lost lock expires after its lifetime)."""
    workdir.mkdir(parents=True, exist_ok=True)
    return subprocess.Popen(["redis-server", "--port", str(port), "--bind", "127.0.0.1", "--save", "",
                             "--appendonly", "no", "--dir", str(workdir)],
                            stdout=log.open("a"), stderr=subprocess.STDOUT)


def wait_for_redis(port: int, timeout: float = 30) -> None:
    import redis

    deadline = time.monotonic() + timeout
    while True:
        try:
            redis.Redis(port=port).ping()
            return
        except redis.ConnectionError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.1)


# ---- the whole profile ----

class Running:
    """The started processes by name, stopped in reverse order."""

    def __init__(self, profile: Profile):
        self.profile = profile
        self.processes: dict[str, subprocess.Popen] = {}
        self.logs = profile.workdir / "logs"
        self.logs.mkdir(parents=True, exist_ok=True)

    def start(self, name: str, command: list[str], env: dict[str, str]) -> subprocess.Popen:
        log = (self.logs / f"{name}.log").open("a")
        self.processes[name] = subprocess.Popen(command, cwd=PROJECT_ROOT, env=env, stdout=log,
                                                stderr=subprocess.STDOUT)
        return self.processes[name]

    def check_alive(self) -> None:
        for name, proc in self.processes.items():
            if proc.poll() is not None:
                tail = (self.logs / f"{name}.log").read_text(errors="replace")[-3000:]
                raise RuntimeError(f"{name} exited with {proc.returncode}:\n{tail}")

    def stop(self) -> None:
        for proc in reversed(self.processes.values()):
            if proc.poll() is None:
                proc.send_signal(signal.SIGINT if "postgres" in str(proc.args[0]) else signal.SIGTERM)
        for proc in reversed(self.processes.values()):
            try:
                proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                proc.kill()


def process_env(profile: Profile) -> dict[str, str]:
    return {**os.environ, "PYTHONPATH": str(PROJECT_ROOT), "RASA_TELEMETRY_ENABLED": "false",
            "TF_CPP_MIN_LOG_LEVEL": "2", "SQLALCHEMY_SILENCE_UBER_WARNING": "1",
            "DATABASE_URL": profile.database_url, "REDIS_URL": profile.redis_url,
            "POSTGRES_PASSWORD": profile.secret("postgres_password"),
            "ACTION_SERVER_TOKEN": profile.secret("action_server_token"),
            "CHAT_SESSION_SECRET": profile.secret("chat_session_secret"),
            "STAFF_SECRET_FILE": str(profile.workdir / "staff_secret_key"),
            "BOOKING_OUTBOX": str(profile.workdir / "outbox.jsonl"),
            # HAProxy is one hop in front of the Rasa servers (X-Forwarded-For).
            "TRUSTED_PROXIES": "1",
            "RASA_PORT": str(profile.ports.front), "RASA_PUBLIC_URL": profile.chat_url,
            "WEB_HOST": "127.0.0.1", "WEB_PORT": str(profile.ports.web),
            "MODEL_SERVER_PORT": str(profile.ports.models), **profile.extra_env}


def _replica_ready(port: int) -> bool:
    """The replica answers a chat message (model loaded, action server reachable)."""
    with contextlib.suppress(requests.RequestException, ValueError):
        reply = requests.post(f"http://127.0.0.1:{port}/webhooks/rest/webhook",
                              json={"sender": "startup-check", "message": "hello"}, timeout=30)
        return reply.ok and bool(reply.json()) and not any(
            (m.get("custom") or {}).get("reason") == "unavailable" for m in reply.json())
    return False


def _balancer_sees_every_replica(profile: Profile) -> bool:
    """HAProxy routes to every replica: its health checks (every 2 s, two in a row)
    have marked a replica that just finished loading as up. Before that, round-robin
    sends all REST traffic to the replicas that were up first."""
    seen = set()
    with contextlib.suppress(requests.RequestException):
        for _ in range(2 * len(profile.ports.replicas)):
            seen.add(requests.get(profile.chat_url, timeout=5).headers.get("X-Replica"))
    return seen == {f"rasa{i + 1}" for i in range(len(profile.ports.replicas))}


def _wait(running: Running, ready, what: str) -> None:
    deadline = time.monotonic() + STARTUP_TIMEOUT
    while not ready():
        running.check_alive()
        if time.monotonic() > deadline:
            raise RuntimeError(f"{what} did not become ready in {STARTUP_TIMEOUT} s (logs: {running.logs})")
        time.sleep(1)


def _http_ok(url: str) -> bool:
    with contextlib.suppress(requests.RequestException):
        return requests.get(url, timeout=5).ok
    return False


@contextlib.contextmanager
def started(profile: Profile) -> Iterator[Running]:
    """Start every part, wait until the balancer answers through each replica, stop on exit."""
    from assistant.store import migrate

    profile.workdir.mkdir(parents=True, exist_ok=True)
    running = Running(profile)
    env = process_env(profile)
    endpoints = profile.workdir / "endpoints.yml"
    endpoints.write_text(endpoints_config(profile))
    haproxy_cfg = profile.workdir / "haproxy.cfg"
    haproxy_cfg.write_text(haproxy_config(profile))
    try:
        running.processes["postgres"] = start_postgres(profile, running.logs / "postgres.log")
        running.processes["redis"] = start_redis(profile.workdir / "redis", profile.ports.redis,
                                                 running.logs / "redis.log")
        create_database(profile)
        wait_for_redis(profile.ports.redis)
        migrate(profile.database_url)
        if not profile.model:
            running.start("models", [sys.executable, "-m", "assistant.model_server"], env)
        for i, port in enumerate(profile.ports.action_servers):
            running.start(f"actions{i + 1}", [sys.executable, "-m", "actions.server"],
                          {**env, "ACTION_PORT": str(port), "ACTION_HOST": "127.0.0.1"})
        running.start("haproxy", ["haproxy", "-db", "-f", str(haproxy_cfg)], env)
        rasa = [str(BIN / "rasa"), "run", *(["--model", profile.model] if profile.model else []),
                "--credentials", "credentials.yml", "--endpoints", str(endpoints),
                "--cors", os.environ.get("RASA_CORS", "*")]
        for i, port in enumerate(profile.ports.replicas):
            running.start(f"rasa{i + 1}", [*rasa, "--port", str(port)], env)
        for port in profile.ports.replicas:
            _wait(running, lambda port=port: _replica_ready(port), f"Rasa replica on {port}")
        _wait(running, lambda: _balancer_sees_every_replica(profile), "HAProxy routing to every replica")
        running.start("web", [sys.executable, "-m", "webapp"], env)
        _wait(running, lambda: _http_ok(f"http://127.0.0.1:{profile.ports.web}/healthz"), "web app")
        yield running
    finally:
        running.stop()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--replicas", type=int, default=int(os.environ.get("REPLICAS", "2")))
    parser.add_argument("--workdir", type=Path, default=PROJECT_ROOT / "var" / "scaled")
    args = parser.parse_args(argv)
    ports = Ports(front=int(os.environ.get("RASA_PORT", "5005")),
                  actions=int(os.environ.get("ACTION_PORT", "5055")),
                  web=int(os.environ.get("WEB_PORT", "8000")),
                  postgres=int(os.environ.get("POSTGRES_PORT", "5433")),
                  redis=int(os.environ.get("REDIS_PORT", "6380")))
    profile = Profile(workdir=args.workdir, replicas=args.replicas, ports=ports)
    print(f"Starting PostgreSQL :{ports.postgres}, Redis :{ports.redis}, {profile.replicas} Rasa replicas "
          f"{profile.ports.replicas}, action servers {profile.ports.action_servers}, HAProxy :{ports.front} "
          f"(chat) and :{ports.actions} (actions); logs in {profile.workdir / 'logs'} ...", flush=True)
    with started(profile) as running:
        print(f"Ready: chat on {profile.chat_url}, page and staff console on http://localhost:{ports.web}/ "
              f"(database {profile.database_url.split('@')[-1]}). Ctrl-C stops everything.", flush=True)
        signal.signal(signal.SIGTERM, signal.default_int_handler)
        with contextlib.suppress(KeyboardInterrupt):
            while True:
                running.check_alive()
                time.sleep(2)
    return 0


if __name__ == "__main__":
    sys.exit(main())
