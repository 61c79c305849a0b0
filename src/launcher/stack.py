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
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

import httpx

from appconfig.settings import PROJECT_ROOT
from leaddb import LeadStore
from leaddb.base import private_sqlite_file

from .build import MODEL_PATH
from .checks import check_environment


class StackError(RuntimeError):
    pass


@dataclass(frozen=True)
class Service:
    name: str
    command: list[str]
    port: int | None = None  # None: no HTTP; ready once it has run for a moment
    health_path: str = "/"

    @property
    def health_url(self) -> str | None:
        return f"http://127.0.0.1:{self.port}{self.health_path}" if self.port else None


def services(env: dict[str, str]) -> list[Service]:
    """The commands, from an environment made by `stack_environment()` (every setting present)."""
    rasa_port, action_port, web_port = int(env["RASA_PORT"]), int(env["ACTION_SERVER_PORT"]), int(env["WEB_PORT"])
    rasa_command = [
        # `rasa`, with log redaction installed first (emails and tokens never reach rasa.log).
        sys.executable,
        "-m",
        "channels.rasa_main",
        "run",
        "--model",
        str(MODEL_PATH),
        "--port",
        str(rasa_port),
        "--interface",
        env["RASA_HOST"],
        "--endpoints",
        "endpoints.yml",
        "--credentials",
        "credentials.yml",
        "--cors",
        *env["ALLOWED_ORIGINS"].split(","),
    ]
    # Rasa's HTTP API (transcripts, tracker events, models) serves no feature of the product:
    # off unless RASA_ENABLE_API=true, and then only with a token (checks.check_environment).
    if env.get("RASA_ENABLE_API") == "true":
        rasa_command += ["--enable-api", "--auth-token", env.get("RASA_API_TOKEN", "")]
    return [
        Service(
            "actions",
            # Not `rasa run actions`: it listens on every interface and asks no one for a secret.
            [sys.executable, "-m", "actions.server", "--host", env["ACTION_SERVER_HOST"], "--port", str(action_port)],
            action_port,
            "/health",
        ),
        Service("rasa", rasa_command, rasa_port, "/"),
        Service(
            "web",
            [sys.executable, "-m", "webapp", "--host", env["WEB_HOST"], "--port", str(web_port)],
            web_port,
            "/healthz",
        ),
        Service("worker", [sys.executable, "-m", "handoff", "worker"]),
    ]


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

    def start(self, timeout: float = 300) -> Stack:
        problems = check_environment(self.env)
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
        try:
            for service in self.services:
                with open_log(self.log_dir / f"{service.name}.log") as log:
                    self.processes[service.name] = subprocess.Popen(
                        service.command,
                        cwd=PROJECT_ROOT,
                        env=self.env,
                        stdout=log,
                        stderr=subprocess.STDOUT,
                        stdin=subprocess.DEVNULL,
                        start_new_session=True,
                        umask=CHILD_UMASK,  # whatever else they create (Rasa's files) is theirs alone
                    )
            self._wait_healthy(timeout)
        except BaseException:
            self.stop()
            raise
        return self

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
