"""Start the real web app (`python -m webapp`) in a subprocess for HTTP tests.

`running_webapp(database_url, **env)` is a context manager any test can use (the fixtures in
this folder's conftest.py are built on it)."""
from __future__ import annotations

import os
import socket
import subprocess
import sys
import tempfile
import time
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Iterator

import httpx
import pytest

PROJECT_ROOT = Path(__file__).resolve().parents[2]
SITE_ORIGIN = "https://www.example-site.test"


@dataclass(frozen=True)
class RunningWebapp:
    url: str
    database_url: str
    log_path: Path


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


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
            **env,
        }
        with open(log_path, "wb") as log:
            process = subprocess.Popen(
                [sys.executable, "-m", "webapp", "--host", "127.0.0.1", "--port", str(port)],
                cwd=PROJECT_ROOT, env=process_env, stdout=log, stderr=subprocess.STDOUT,
            )
        server = RunningWebapp(url=f"http://127.0.0.1:{port}", database_url=database_url, log_path=log_path)
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
