"""Real local servers for tests: a scripted HTTP receiver and an SMTP server for delivery
tests, and the real web app (`python -m webapp`) in a subprocess for HTTP tests.

`running_webapp(database_url, **env)` is a context manager any test can use (the fixtures in
tests/webapp/conftest.py are built on it)."""

from __future__ import annotations

import json
import os
import secrets
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import httpx
import pytest
from aiosmtpd.controller import Controller

from appconfig.settings import PROJECT_ROOT

SITE_ORIGIN = "https://www.example-site.test"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class ScriptedHttpServer:
    """Answers POSTs by a script: "500", "503", "close" (hang up without answering) or "ok"
    for each request in turn, then `then` for all later ones. Keeps the bodies it accepted, the
    Idempotency-Key of every request, and, as a receiver that deduplicates by that key would,
    each accepted body once per key (`recorded`)."""

    def __init__(self, script: Iterable[str] = (), then: str = "ok"):
        self.script, self.then = list(script), then
        self.accepted: list[dict] = []
        self.keys: list[str | None] = []  # one per request, in order
        self.recorded: dict[str, dict] = {}  # Idempotency-Key -> the first accepted body
        self.requests = 0
        self._lock = threading.Lock()
        server = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
                key = self.headers.get("Idempotency-Key")
                with server._lock:
                    server.requests += 1
                    server.keys.append(key)
                    action = server.script.pop(0) if server.script else server.then
                    if action == "ok":
                        server.accepted.append(json.loads(body))
                        if key is not None:
                            server.recorded.setdefault(key, json.loads(body))
                if action == "close":
                    self.close_connection = True
                    return
                self.send_response(200 if action == "ok" else int(action))
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args):
                pass

        self._http = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self._http.server_address[1]}/hook"

    def __enter__(self) -> ScriptedHttpServer:
        threading.Thread(target=self._http.serve_forever, daemon=True).start()
        return self

    def __exit__(self, *exc) -> None:
        self._http.shutdown()
        self._http.server_close()


class _Inbox:
    def __init__(self):
        self.envelopes = []

    async def handle_DATA(self, server, session, envelope):
        self.envelopes.append(envelope)
        return "250 Message accepted for delivery"


class LocalSmtpServer:
    """aiosmtpd on a free local port; `envelopes` holds what it received."""

    def __init__(self):
        self._inbox = _Inbox()
        self.port = free_port()
        self._controller = Controller(self._inbox, hostname="127.0.0.1", port=self.port)

    @property
    def envelopes(self):
        return self._inbox.envelopes

    def __enter__(self) -> LocalSmtpServer:
        self._controller.start()
        return self

    def __exit__(self, *exc) -> None:
        self._controller.stop()


@dataclass(frozen=True)
class RunningWebapp:
    url: str
    database_url: str
    log_path: Path
    secret_key: str = ""  # its LEADQUAL_SECRET_KEY: tests mint visitor proofs with it (tests/support/identity.py)


@contextmanager
def running_webapp(database_url: str, startup_timeout: float = 30.0, **env: str) -> Iterator[RunningWebapp]:
    """Run `python -m webapp` on a free port until the block ends; extra keyword arguments
    are environment variables (e.g. ALLOWED_ORIGINS="https://a.test,https://b.test")."""
    port = free_port()
    with tempfile.TemporaryDirectory(prefix="webapp-") as workdir:
        log_path = Path(workdir) / "webapp.log"
        process_env = {
            **os.environ,
            "DATABASE_URL": database_url,
            "LEADQUAL_VAR_DIR": workdir,
            "ALLOWED_ORIGINS": SITE_ORIGIN,
            "PUBLIC_BASE_URL": f"http://127.0.0.1:{port}",  # the app's own origin
            "LEADQUAL_SECRET_KEY": secrets.token_urlsafe(32),
            **env,
        }
        if "LEADQUAL_CONFIG_DIR" not in env:
            process_env["LEADQUAL_CONFIG_DIR"] = str(config_without_rate_limits(Path(workdir)))
        with open(log_path, "wb") as log:
            process = subprocess.Popen(
                [sys.executable, "-m", "webapp", "--host", "127.0.0.1", "--port", str(port)],
                cwd=PROJECT_ROOT,
                env=process_env,
                stdout=log,
                stderr=subprocess.STDOUT,
            )
        server = RunningWebapp(
            url=f"http://127.0.0.1:{port}",
            database_url=database_url,
            log_path=log_path,
            secret_key=process_env["LEADQUAL_SECRET_KEY"],
        )
        try:
            _wait_until_healthy(server, process, startup_timeout)
            yield server
        finally:
            process.terminate()
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()


@contextmanager
def running_chat_channel(startup_timeout: float = 60.0, **env: str) -> Iterator[RunningWebapp]:
    """The website chat channels (socket.io and REST) on their own Sanic server
    (tests/support/channel_server.py), echoing messages instead of running a model. Keyword
    arguments are environment variables (LEADQUAL_ENV, ALLOWED_ORIGINS, LEADQUAL_CONFIG_DIR, ...)."""
    port = free_port()
    with tempfile.TemporaryDirectory(prefix="channel-") as workdir:
        log_path = Path(workdir) / "channel.log"
        process_env = {
            **os.environ,
            "LEADQUAL_VAR_DIR": workdir,
            "LEADQUAL_CONFIG_DIR": str(config_without_rate_limits(Path(workdir))),
            "ALLOWED_ORIGINS": SITE_ORIGIN,
            "LEADQUAL_SECRET_KEY": secrets.token_urlsafe(32),
            **env,
        }
        with open(log_path, "wb") as log:
            process = subprocess.Popen(
                [sys.executable, "-m", "tests.support.channel_server", "--port", str(port)],
                cwd=PROJECT_ROOT,
                env=process_env,
                stdout=log,
                stderr=subprocess.STDOUT,
            )
        server = RunningWebapp(
            url=f"http://127.0.0.1:{port}",
            database_url="",
            log_path=log_path,
            secret_key=process_env["LEADQUAL_SECRET_KEY"],
        )
        try:
            _wait_until_healthy(server, process, startup_timeout)
            yield server
        finally:
            process.terminate()
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()


# Tests (and benches) send hundreds of requests a minute from one address, far over the
# shipped limits; tests/webapp/test_rate_limits.py and tests/e2e/test_visitor_identity.py
# start servers with limits of their own.
UNLIMITED = """\
track:
  requests_per_minute_per_ip: 1000000
  events_per_minute_per_visitor: 1000000
rep_links:
  requests_per_minute_per_ip: 1000000
chat:
  messages_per_minute_per_ip: 1000000
  messages_per_minute_per_visitor: 1000000
"""


def config_without_rate_limits(workdir: Path) -> Path:
    """A copy of config/ in `workdir` whose rate limits no test reaches."""
    config_dir = workdir / "config"
    shutil.copytree(PROJECT_ROOT / "config", config_dir)
    (config_dir / "limits.yml").write_text(UNLIMITED)
    return config_dir


def config_with(workdir: Path, **files: str) -> Path:
    """The shipped config/ copied under `workdir`, without rate limits, and with the files
    named by the keyword arguments (`privacy="..."` is privacy.yml) replaced by their text."""
    config_dir = config_without_rate_limits(workdir)
    for name, content in files.items():
        (config_dir / f"{name}.yml").write_text(content)
    return config_dir


def _wait_until_healthy(server: RunningWebapp, process: subprocess.Popen, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            pytest.fail(f"webapp exited with {process.returncode}:\n{server.log_path.read_text(errors='replace')}")
        try:
            if httpx.get(f"{server.url}/healthz", timeout=1).status_code == 200:
                return
        except httpx.TransportError:
            pass
        time.sleep(0.1)
    pytest.fail(f"webapp did not answer /healthz within {timeout}s:\n{server.log_path.read_text(errors='replace')}")
