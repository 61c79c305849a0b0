"""The production profile, started as an operator starts it (`python -m launcher start` with
LEADQUAL_PROFILE=production, what `make start-production` runs) against this machine's
PostgreSQL, Redis and RabbitMQ, in schemas and a queue of its own that are removed afterwards.
Used by tests/production/ and bench/."""

from __future__ import annotations

import asyncio
import os
import secrets
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import httpx
from sqlalchemy import create_engine, text
from sqlalchemy.engine import Engine

from appconfig.settings import DEFAULTS, PROJECT_ROOT
from tests.support.servers import LocalSmtpServer, config_without_rate_limits

POSTGRES_URL = os.getenv("TEST_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/test")
REPLICAS = 2
READY_TIMEOUT = 420


class DeduplicatingReceiver:
    """A CRM-like webhook receiver: keeps each delivery, and counts the distinct ones by the
    Idempotency-Key header the outbox sends (a delivery without one counts on its own)."""

    def __init__(self) -> None:
        self.deliveries: list[tuple[str | None, bytes]] = []
        self._lock = threading.Lock()
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
                with receiver._lock:
                    receiver.deliveries.append((self.headers.get("Idempotency-Key"), body))
                self.send_response(200)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args):
                pass

        self._http = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self._http.server_address[1]}/crm"
        threading.Thread(target=self._http.serve_forever, daemon=True).start()

    def close(self) -> None:
        self._http.shutdown()
        self._http.server_close()


def _free_block(size: int) -> int:
    """A port p such that p .. p+size are all free on loopback."""
    for _ in range(200):
        base = 20000 + secrets.randbelow(30000)
        sockets = []
        try:
            for port in range(base, base + size + 1):
                probe = socket.socket()
                probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
                sockets.append(probe)
                probe.bind(("127.0.0.1", port))
            return base
        except OSError:
            continue
        finally:
            for probe in sockets:
                probe.close()
    raise RuntimeError("no free block of ports")


@dataclass
class ProductionStack:
    process: subprocess.Popen
    env: dict[str, str]
    var_dir: Path
    leads: Engine
    conversations: Engine
    crm: DeduplicatingReceiver
    smtp: LocalSmtpServer

    @property
    def chat_url(self) -> str:
        return f"http://127.0.0.1:{self.env['RASA_PORT']}"

    @property
    def web_url(self) -> str:
        return f"http://127.0.0.1:{self.env['WEB_PORT']}"

    def pid(self, service: str) -> int:
        return int((self.var_dir / "run" / f"{service}.pid").read_text())

    def kill(self, service: str) -> int:
        """SIGKILL one replica (the launcher starts it again); returns the killed pid."""
        pid = self.pid(service)
        os.kill(pid, signal.SIGKILL)
        return pid

    def access_log(self) -> list[str]:
        return (self.var_dir / "logs" / "proxy-access.log").read_text().splitlines()

    def launcher_output(self) -> str:
        return (self.var_dir / "launcher.out").read_text(errors="replace")


async def _delete_queue(url: str, queue: str) -> None:
    import aio_pika

    connection = await aio_pika.connect_robust(url)
    async with connection:
        channel = await connection.channel()
        await channel.queue_delete(queue)


class StartFailed(RuntimeError):
    pass


@contextmanager
def running_production_profile(replicas: int = REPLICAS, **extra_env: str) -> Iterator[ProductionStack]:
    """Start the profile and yield it once the launcher says Ready; stop it and remove its
    schemas and queue afterwards. Raises StartFailed with the launcher's output."""
    admin = create_engine(POSTGRES_URL, future=True, pool_pre_ping=True)  # outlives a PostgreSQL restart
    run = uuid.uuid4().hex[:10]
    schemas = {"leads": f"prod_{run}_leads", "conversations": f"prod_{run}_conversations"}
    var_dir = Path(tempfile.mkdtemp(prefix="production-"))
    crm, smtp = DeduplicatingReceiver(), LocalSmtpServer().__enter__()
    rasa_base, action_base, web_base = _free_block(replicas), _free_block(replicas), _free_block(1)
    env = {
        **os.environ,
        "LEADQUAL_PROFILE": "production",
        "LEADQUAL_ENV": "production",
        "LEADQUAL_VAR_DIR": str(var_dir),
        # Every load visitor comes from 127.0.0.1: far over the shipped per-address limits.
        "LEADQUAL_CONFIG_DIR": str(config_without_rate_limits(var_dir)),
        "ACTION_SERVER_TOKEN": secrets.token_urlsafe(32),
        "LEADQUAL_SECRET_KEY": secrets.token_urlsafe(32),
        "DATABASE_URL": f"{POSTGRES_URL}?options=-csearch_path%3D{schemas['leads']}",
        "TRACKER_STORE_URL": f"{POSTGRES_URL}?options=-csearch_path%3D{schemas['conversations']}",
        "EVENT_BROKER_QUEUE": f"leadqual_test_{run}",
        "RASA_PORT": str(rasa_base),
        "ACTION_SERVER_PORT": str(action_base),
        "WEB_PORT": str(web_base),
        "RASA_REPLICAS": str(replicas),
        "ACTION_REPLICAS": str(replicas),
        "OUTBOX_WORKERS": "3",
        "CRM_WEBHOOK_URL": crm.url,
        "SMTP_HOST": "127.0.0.1",
        "SMTP_PORT": str(smtp.port),
        "SMTP_STARTTLS": "false",
        "RASA_ENABLE_API": "false",
        **extra_env,
    }
    output = (var_dir / "launcher.out").open("wb")
    process = subprocess.Popen(
        [sys.executable, "-m", "launcher", "start"],
        cwd=PROJECT_ROOT,
        env=env,
        stdout=output,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    stack = ProductionStack(
        process,
        env,
        var_dir,
        create_engine(env["DATABASE_URL"], future=True, pool_pre_ping=True),
        create_engine(env["TRACKER_STORE_URL"], future=True, pool_pre_ping=True),
        crm,
        smtp,
    )
    try:
        deadline = time.monotonic() + READY_TIMEOUT
        while "Ready." not in stack.launcher_output():
            if process.poll() is not None or time.monotonic() > deadline:
                raise StartFailed(f"the production profile did not start:\n{stack.launcher_output()[-4000:]}")
            time.sleep(1)
        yield stack
    finally:
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGTERM)
            try:
                process.wait(timeout=60)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
        output.close()
        stack.leads.dispose()
        stack.conversations.dispose()
        with admin.begin() as connection:
            for schema in schemas.values():
                connection.execute(text(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE'))
        admin.dispose()
        asyncio.run(_delete_queue(env.get("EVENT_BROKER_URL") or DEFAULTS.event_broker_url, env["EVENT_BROKER_QUEUE"]))
        crm.close()
        smtp.__exit__(None, None, None)


def wait_for(condition, timeout: float = 60, interval: float = 0.5):
    """Poll until `condition()` is truthy; returns its value (or the last one after the timeout)."""
    deadline = time.monotonic() + timeout
    while True:
        value = condition()
        if value or time.monotonic() > deadline:
            return value
        time.sleep(interval)


def http_ok(url: str) -> bool:
    try:
        return httpx.get(url, timeout=5).status_code == 200
    except httpx.HTTPError:
        return False
