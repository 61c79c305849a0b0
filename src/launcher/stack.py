"""The running stack: Rasa, the action server and the web app, as child processes.

Used by `python -m launcher start` and by the end-to-end tests, so both run the same thing.
Each process logs to var/logs/<name>.log.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import BinaryIO

import httpx

from appconfig.settings import PROJECT_ROOT, settings_from
from leaddb import LeadStore
from leaddb.base import private_sqlite_file

from .build import MODEL_PATH
from .checks import check_environment
from .production import (
    ENDPOINTS,
    check_production,
    nginx_binary,
    prepare_tracker_store,
    replica_ports,
    write_proxy_config,
)


class StackError(RuntimeError):
    pass


@dataclass(frozen=True)
class Service:
    name: str
    command: list[str]
    port: int | None = None  # None: no HTTP; ready once it has run for a moment
    health_path: str = "/"
    env: dict[str, str] = field(default_factory=dict)  # on top of the stack's environment

    @property
    def health_url(self) -> str | None:
        return f"http://127.0.0.1:{self.port}{self.health_path}" if self.port else None


def rasa_command(env: dict[str, str], port: int, interface: str, endpoints: str | Path) -> list[str]:
    command = [
        # `rasa`, with log redaction installed first (emails and tokens never reach rasa.log).
        sys.executable,
        "-m",
        "channels.rasa_main",
        "run",
        "--model",
        str(MODEL_PATH),
        "--port",
        str(port),
        "--interface",
        interface,
        "--endpoints",
        str(endpoints),
        "--credentials",
        "credentials.yml",
        "--cors",
        *env["ALLOWED_ORIGINS"].split(","),
    ]
    # Rasa's HTTP API (transcripts, tracker events, models) serves no feature of the product:
    # off unless RASA_ENABLE_API=true, and then only with a token (checks.check_environment).
    if env.get("RASA_ENABLE_API") == "true":
        command += ["--enable-api", "--auth-token", env.get("RASA_API_TOKEN", "")]
    return command


def action_server_command(host: str, port: int) -> list[str]:
    # Not `rasa run actions`: it listens on every interface and asks no one for a secret.
    return [sys.executable, "-m", "actions.server", "--host", host, "--port", str(port)]


def web_command(host: str, port: int) -> list[str]:
    return [sys.executable, "-m", "webapp", "--host", host, "--port", str(port)]


WORKER_COMMAND = [sys.executable, "-m", "handoff", "worker"]


def services(env: dict[str, str]) -> list[Service]:
    """The commands, from an environment made by `stack_environment()` (every setting present)."""
    if env.get("LEADQUAL_PROFILE") == "production":
        return production_services(env)
    rasa_port, action_port, web_port = int(env["RASA_PORT"]), int(env["ACTION_SERVER_PORT"]), int(env["WEB_PORT"])
    return [
        Service("actions", action_server_command(env["ACTION_SERVER_HOST"], action_port), action_port, "/health"),
        Service("rasa", rasa_command(env, rasa_port, env["RASA_HOST"], "endpoints.yml"), rasa_port, "/"),
        Service("web", web_command(env["WEB_HOST"], web_port), web_port, "/healthz"),
        Service("worker", WORKER_COMMAND),
    ]


def production_services(env: dict[str, str]) -> list[Service]:
    """Every replica on loopback behind nginx, which alone holds the public ports (production.py)."""
    settings = settings_from(env)
    listed = [
        Service(f"actions-{n}", action_server_command("127.0.0.1", port), port, "/health")
        for n, port in enumerate(replica_ports(settings.action_server_port, settings.action_replicas), 1)
    ]
    listed += [
        # Chat rate limits are per client address too: the one nginx forwards.
        Service(
            f"rasa-{n}", rasa_command(env, port, "127.0.0.1", ENDPOINTS), port, "/", env={"SANIC_PROXIES_COUNT": "1"}
        )
        for n, port in enumerate(replica_ports(settings.rasa_port, settings.rasa_replicas), 1)
    ]
    run_dir = settings.var_dir / "proxy"
    listed += [
        # Behind the proxy, the client's address is the one nginx forwards (rate limits are per address).
        Service(
            "web",
            web_command("127.0.0.1", settings.web_port + 1),
            settings.web_port + 1,
            "/healthz",
            env={"SANIC_PROXIES_COUNT": "1"},
        ),
        Service(
            "proxy",
            [
                nginx_binary() or "nginx",
                "-p",
                str(run_dir),
                "-c",
                str(run_dir / "nginx.conf"),
                "-e",
                str(settings.var_dir / "logs" / "proxy-error.log"),
            ],
            settings.web_port,  # ready when the web app answers through it
            "/healthz",
        ),
        Service("analytics", [sys.executable, "-m", "analytics"]),
    ]
    listed += [Service(f"worker-{n}", WORKER_COMMAND) for n in range(1, settings.outbox_workers + 1)]
    return listed


def port_is_free(port: int) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind(("127.0.0.1", port))
        except OSError:
            return False
    return True


# Logs name visitors and reps: owner and group only; files the children create, none for others.
LOG_FILE_MODE = 0o640
CHILD_UMASK = 0o077


def open_log(path: Path) -> BinaryIO:
    """`path` opened for appending, created 0640 (and an older 0644 one tightened)."""
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, LOG_FILE_MODE)
    os.fchmod(descriptor, LOG_FILE_MODE)
    return os.fdopen(descriptor, "ab")


def prepare_private_files(env: dict[str, str]) -> None:
    """The log folder, and both SQLite databases (lead database, Rasa's tracker store)
    created owner-only before any process opens them."""
    log_dir = Path(env["LEADQUAL_VAR_DIR"]) / "logs"
    log_dir.mkdir(parents=True, exist_ok=True)
    for key in ("DATABASE_URL", "TRACKER_STORE_URL"):
        if env.get(key):
            private_sqlite_file(env[key])


def _log_tail(path: Path, lines: int = 25) -> str:
    try:
        return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])
    except OSError:
        return "(no log)"


class Stack:
    def __init__(self, env: dict[str, str], only: tuple[str, ...] = ()):
        self.env = dict(env)  # stack_environment() puts the project on PYTHONPATH
        self.log_dir = Path(self.env["LEADQUAL_VAR_DIR"]) / "logs"
        self.services = [s for s in services(self.env) if not only or s.name in only]
        self.processes: dict[str, subprocess.Popen] = {}
        self.production = self.env.get("LEADQUAL_PROFILE") == "production"
        self.run_dir = Path(self.env["LEADQUAL_VAR_DIR"]) / "run"  # <service>.pid, for operators and fault tests

    def start(self, timeout: float = 300) -> Stack:
        problems = check_environment(self.env)
        if self.production:
            problems += check_production(self.env)  # also creates the PostgreSQL schemas
        if problems:
            raise StackError("\n".join(problems))
        busy = [f"{s.name} ({s.port})" for s in self.services if s.port and not port_is_free(s.port)]
        if busy:
            raise StackError(
                f"ports already in use: {', '.join(busy)}. Stop what uses them or set "
                "RASA_PORT / ACTION_SERVER_PORT / WEB_PORT in .env."
            )
        prepare_private_files(self.env)
        # The schema is migrated once here, before any process starts (they then find it at head).
        LeadStore.from_url(self.env["DATABASE_URL"]).engine.dispose()
        if self.production:
            prepare_tracker_store(self.env["TRACKER_STORE_URL"])
            write_proxy_config(self.env)
        self.run_dir.mkdir(parents=True, exist_ok=True)
        try:
            for service in self.services:
                self._launch(service)
            self._wait_healthy(timeout)
        except BaseException:
            self.stop()
            raise
        return self

    def _launch(self, service: Service) -> None:
        with open_log(self.log_dir / f"{service.name}.log") as log:
            process = subprocess.Popen(
                service.command,
                cwd=PROJECT_ROOT,
                env={**self.env, **service.env},
                stdout=log,
                stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
                start_new_session=True,
                umask=CHILD_UMASK,  # whatever else they create (Rasa's files) is theirs alone
            )
        self.processes[service.name] = process
        (self.run_dir / f"{service.name}.pid").write_text(f"{process.pid}\n")

    def supervise(self) -> list[str]:
        """One look at the children. Embedded: a dead one stops the stack (StackError). Production:
        a dead replica is started again, as an orchestrator would, and the others carry the load
        meanwhile; returns the names restarted."""
        if not self.production:
            self.check_alive()
            return []
        restarted = []
        for service in self.services:
            process = self.processes.get(service.name)
            if process is not None and process.poll() is not None:
                with open_log(self.log_dir / f"{service.name}.log") as log:
                    log.write(f"--- exited with code {process.returncode}; restarted by the launcher\n".encode())
                self._launch(service)
                restarted.append(service.name)
        return restarted

    def _wait_healthy(self, timeout: float) -> None:
        deadline = time.monotonic() + timeout
        waiting = list(self.services)
        while waiting:
            for service in list(waiting):
                self.check_alive()
                if service.health_url is None:
                    waiting.remove(service)
                    continue
                try:
                    if httpx.get(service.health_url, timeout=2).status_code == 200:
                        waiting.remove(service)
                except httpx.HTTPError:
                    pass
            if waiting and time.monotonic() > deadline:
                names = ", ".join(s.name for s in waiting)
                raise StackError(f"not ready after {timeout:.0f}s: {names}; see {self.log_dir}")
            time.sleep(0.5)

    def check_alive(self) -> None:
        for name, process in self.processes.items():
            if process.poll() is not None:
                log = self.log_dir / f"{name}.log"
                raise StackError(
                    f"{name} exited with code {process.returncode}. Last lines of {log}:\n{_log_tail(log)}"
                )

    def stop(self) -> None:
        for process in self.processes.values():
            if process.poll() is None:
                os.killpg(process.pid, signal.SIGTERM)
        deadline = time.monotonic() + 15
        for process in self.processes.values():
            try:
                process.wait(timeout=max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
                process.wait()
        self.processes.clear()

    def __enter__(self) -> Stack:
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()
