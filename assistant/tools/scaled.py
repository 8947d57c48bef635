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
import json
import os
import secrets
import shlex
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
  # A replica that died or is starting: the message goes to another one. Connection refused
  # (never delivered) and an empty response (killed mid-message, before it replied) are retried;
  # a retry needs the whole request in the buffer (http-buffer-request).
  option redispatch 1
  option http-buffer-request
  retries 2
  retry-on conn-failure empty-response 503
  # None could take it: the bot's own honest reply, not an HTML error page.
  http-error status 502 content-type application/json file {profile.workdir / "unavailable.json"}
  http-error status 503 content-type application/json file {profile.workdir / "unavailable.json"}
  http-error status 504 content-type application/json file {profile.workdir / "unavailable.json"}
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


def init_postgres(profile: Profile) -> None:
    """Create the database cluster once (initdb), owned by PostgreSQL's user when we are root."""
    data = profile.workdir / "postgres"
    if (data / "PG_VERSION").exists():
        return
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


def postgres_command(profile: Profile) -> list[str]:
    data = profile.workdir / "postgres"
    return [str(postgres_bin() / "postgres"), "-D", str(data), "-p", str(profile.ports.postgres),
            "-k", str(data), "-c", "listen_addresses=127.0.0.1", "-c", "max_connections=200"]


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


def redis_command(workdir: Path, port: int) -> list[str]:
    """Redis for locks only: nothing to persist (a lost lock expires after its lifetime)."""
    workdir.mkdir(parents=True, exist_ok=True)
    return ["redis-server", "--port", str(port), "--bind", "127.0.0.1", "--save", "",
            "--appendonly", "no", "--dir", str(workdir)]


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


# ---- the whole profile, under supervisord ----

@dataclass
class Program:
    """One supervised process: its command, extra environment and start order."""

    name: str
    command: list[str]
    priority: int
    env: dict[str, str] = field(default_factory=dict)
    autostart: bool = False  # False: started by `started()` once what it needs is ready
    startsecs: int = 2
    stopsignal: str = "TERM"
    user: str | None = None


def programs(profile: Profile) -> list[Program]:
    """Every process of the profile, in start order (supervisord stops them in reverse)."""
    rasa = [str(BIN / "rasa"), "run", *(["--model", profile.model] if profile.model else []),
            "--credentials", "credentials.yml", "--endpoints", str(profile.workdir / "endpoints.yml"),
            "--cors", os.environ.get("RASA_CORS", "*")]
    found = [
        # SIGINT is PostgreSQL's "fast shutdown".
        Program("postgres", postgres_command(profile), 10, autostart=True, stopsignal="INT",
                user=_as_postgres().get("user")),
        Program("redis", redis_command(profile.workdir / "redis", profile.ports.redis), 10, autostart=True),
    ]
    if not profile.model:
        found.append(Program("models", [sys.executable, "-m", "assistant.model_server"], 20))
    found += [Program(f"actions{i + 1}", [sys.executable, "-m", "actions.server"], 30,
                      env={"ACTION_PORT": str(port), "ACTION_HOST": "127.0.0.1"})
              for i, port in enumerate(profile.ports.action_servers)]
    found.append(Program("haproxy", ["haproxy", "-db", "-f", str(profile.workdir / "haproxy.cfg")], 40))
    found += [Program(f"rasa{i + 1}", [*rasa, "--port", str(port)], 50, startsecs=10)
              for i, port in enumerate(profile.ports.replicas)]
    found.append(Program("web", [sys.executable, "-m", "webapp"], 60))
    return found


def _ini(value: str) -> str:
    """A value as supervisord reads it: "%" starts its own expansions."""
    return value.replace("%", "%%")


def supervisor_config(profile: Profile, logs: Path) -> str:
    """supervisord.conf for the profile: each program restarted when it exits, logs in ``logs``.

    The same policy as ``make run`` (scripts/supervisord.conf): ``autorestart``
    on any exit, supervisord's growing back-off between tries while a program
    keeps failing to start, stopped with its children. Killing one replica,
    one action server, Redis or PostgreSQL leaves the rest running; HAProxy's
    health checks route around a replica or action server until it is back.
    """
    sock = profile.workdir / "supervisor.sock"
    sections = [f"""; Written by assistant/tools/scaled.py; edits are overwritten.
[supervisord]
nodaemon=true
logfile={_ini(str(logs / "supervisord.log"))}
pidfile={_ini(str(profile.workdir / "supervisord.pid"))}
directory={_ini(str(PROJECT_ROOT))}

[unix_http_server]
file={_ini(str(sock))}
chmod=0700

[supervisorctl]
serverurl=unix://{_ini(str(sock))}

[rpcinterface:supervisor]
supervisor.rpcinterface_factory=supervisor.rpcinterface:make_main_rpcinterface
"""]
    for program in programs(profile):
        lines = [f"[program:{program.name}]", f"command={_ini(shlex.join(program.command))}",
                 f"priority={program.priority}", f"autostart={str(program.autostart).lower()}",
                 "autorestart=true", f"startsecs={program.startsecs}", "startretries=20",
                 f"stopsignal={program.stopsignal}", "stopasgroup=true", "killasgroup=true",
                 "stopwaitsecs=30", "redirect_stderr=true",
                 f"stdout_logfile={_ini(str(logs / (program.name + '.log')))}",
                 "stdout_logfile_maxbytes=20MB", "stdout_logfile_backups=2"]
        if program.env:
            lines.append("environment=" + ",".join(f'{k}="{_ini(v)}"' for k, v in program.env.items()))
        if program.user:
            lines.append(f"user={program.user}")
        sections.append("\n".join(lines) + "\n")
    return "\n".join(sections)


class Running:
    """The profile's supervisord and a client for it (``supervisorctl``)."""

    def __init__(self, profile: Profile):
        self.profile = profile
        self.logs = profile.workdir / "logs"
        self.logs.mkdir(parents=True, exist_ok=True)
        self.config = profile.workdir / "supervisord.conf"
        self.supervisord: subprocess.Popen | None = None

    def start_supervisord(self, env: dict[str, str]) -> None:
        self.config.write_text(supervisor_config(self.profile, self.logs))
        # Its own session: a terminal's Ctrl-C reaches this process, which stops supervisord in order.
        # Its lines go to logs/supervisord.log (the config); nothing else is printed.
        self.supervisord = subprocess.Popen(
            [str(BIN / "supervisord"), "-c", str(self.config)], cwd=PROJECT_ROOT, env=env,
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
        deadline = time.monotonic() + 30
        while self.ctl("status").returncode == 4:  # 4: cannot reach supervisord yet
            self.check_alive()
            if time.monotonic() > deadline:
                raise RuntimeError(f"supervisord did not start (logs: {self.logs})")
            time.sleep(0.2)

    def ctl(self, *args: str) -> subprocess.CompletedProcess:
        return subprocess.run([str(BIN / "supervisorctl"), "-c", str(self.config), *args],
                              capture_output=True, text=True, timeout=120)

    def start(self, *names: str) -> None:
        done = self.ctl("start", *names)
        if "ERROR" in done.stdout:
            raise RuntimeError(f"supervisorctl start {' '.join(names)}: {done.stdout}")

    def states(self) -> dict[str, str]:
        """Each program's state: RUNNING, STARTING, BACKOFF, EXITED, FATAL, STOPPED."""
        return {line.split()[0]: line.split()[1] for line in self.ctl("status").stdout.splitlines()
                if len(line.split()) > 1}

    def pid(self, name: str) -> int:
        """The program's process id (0 while it is not running)."""
        return int(self.ctl("pid", name).stdout.strip() or 0)

    def check_alive(self) -> None:
        """Raise when supervisord itself is gone; a program that exits is its to restart."""
        if self.supervisord is not None and self.supervisord.poll() is not None:
            tail = (self.logs / "supervisord.log").read_text(errors="replace")[-3000:] \
                if (self.logs / "supervisord.log").exists() else ""
            raise RuntimeError(f"supervisord exited with {self.supervisord.returncode}:\n{tail}")

    def check_started(self) -> None:
        """While starting: raise when supervisord is gone or a program gave up (FATAL)."""
        self.check_alive()
        fatal = [name for name, state in self.states().items() if state == "FATAL"]
        if fatal:
            tail = "".join(f"\n--- {n}:\n" + (self.logs / f"{n}.log").read_text(errors="replace")[-2000:]
                           for n in fatal)
            raise RuntimeError(f"{', '.join(fatal)} could not be started:{tail}")

    def stop(self) -> None:
        """supervisord stops every program, the last started first, then exits."""
        if self.supervisord is None or self.supervisord.poll() is not None:
            return
        self.supervisord.terminate()
        try:
            self.supervisord.wait(timeout=120)
        except subprocess.TimeoutExpired:
            os.killpg(self.supervisord.pid, signal.SIGKILL)


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


def balancer_sees_every_replica(profile: Profile) -> bool:
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
        running.check_started()
        if time.monotonic() > deadline:
            raise RuntimeError(f"{what} did not become ready in {STARTUP_TIMEOUT} s (logs: {running.logs})")
        time.sleep(1)


def _http_ok(url: str) -> bool:
    with contextlib.suppress(requests.RequestException):
        return requests.get(url, timeout=5).ok
    return False


@contextlib.contextmanager
def started(profile: Profile) -> Iterator[Running]:
    """Start every part under supervisord, wait until the balancer answers through each replica.

    PostgreSQL and Redis start first; the rest once the database exists and is
    migrated (supervisord orders starts but does not wait for readiness).
    Everything stops on exit.
    """
    from assistant.channels import unavailable_reply  # loads Rasa: only when starting
    from assistant.store import migrate

    profile.workdir.mkdir(parents=True, exist_ok=True)
    running = Running(profile)
    (profile.workdir / "endpoints.yml").write_text(endpoints_config(profile))
    (profile.workdir / "haproxy.cfg").write_text(haproxy_config(profile))
    (profile.workdir / "unavailable.json").write_text(json.dumps([unavailable_reply()]))
    try:
        init_postgres(profile)
        running.start_supervisord(process_env(profile))
        create_database(profile)
        wait_for_redis(profile.ports.redis)
        migrate(profile.database_url)
        names = [p.name for p in programs(profile) if not p.autostart and p.name != "web"]
        running.start(*names)
        for port in profile.ports.replicas:
            _wait(running, lambda port=port: _replica_ready(port), f"Rasa replica on {port}")
        _wait(running, lambda: balancer_sees_every_replica(profile), "HAProxy routing to every replica")
        running.start("web")
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
              f"(database {profile.database_url.split('@')[-1]}). A process that exits is started again "
              f"(supervisorctl -c {running.config} status); Ctrl-C stops everything.", flush=True)
        signal.signal(signal.SIGTERM, signal.default_int_handler)
        with contextlib.suppress(KeyboardInterrupt):
            while True:  # supervisord restarts what exits; only its own exit ends the profile
                running.check_alive()
                time.sleep(2)
    return 0


if __name__ == "__main__":
    sys.exit(main())
