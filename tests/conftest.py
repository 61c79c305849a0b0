"""Fixtures shared by the whole suite."""

from __future__ import annotations

import os
import secrets
import uuid

import pytest
from sqlalchemy import create_engine, text

os.environ.setdefault("RASA_TELEMETRY_ENABLED", "false")
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
os.environ.setdefault("SQLALCHEMY_SILENCE_UBER_WARNING", "1")

POSTGRES_URL = os.getenv("TEST_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/test")


@pytest.fixture
def sqlite_url(tmp_path) -> str:
    return f"sqlite:///{tmp_path / 'leads.db'}"


@pytest.fixture
def postgres_url():
    """A fresh schema on the real PostgreSQL server, dropped afterwards."""
    admin = create_engine(POSTGRES_URL, future=True)
    try:
        with admin.connect():
            pass
    except Exception as error:
        admin.dispose()
        if os.getenv("CI"):
            pytest.fail(f"PostgreSQL at {POSTGRES_URL} is not reachable in CI: {error}")
        pytest.skip(f"PostgreSQL at {POSTGRES_URL} is not reachable: {error}")
    schema = f"test_{uuid.uuid4().hex[:12]}"
    with admin.begin() as connection:
        connection.execute(text(f'CREATE SCHEMA "{schema}"'))
    try:
        yield f"{POSTGRES_URL}?options=-csearch_path%3D{schema}"
    finally:
        with admin.begin() as connection:
            connection.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def database_url(request) -> str:
    """Run a test on SQLite and on the PostgreSQL server."""
    return request.getfixturevalue(f"{request.param}_url")


@pytest.fixture(scope="session")
def trained_model():
    """The Rasa model, trained once per test run (and reused while data/ and domain don't change)."""
    from launcher.build import ensure_model
    from launcher.environment import stack_environment

    return ensure_model(stack_environment())


@pytest.fixture(scope="session")
def smtp_server():
    """A real SMTP server (aiosmtpd) on a free local port, receiving the reps' emails."""
    from tests.support.servers import LocalSmtpServer

    with LocalSmtpServer() as server:
        yield server


@pytest.fixture(scope="session")
def crm_receiver():
    """A real HTTP server standing in for the CRM's webhook endpoint; keeps what it accepted."""
    from tests.support.servers import ScriptedHttpServer

    with ScriptedHttpServer() as server:
        yield server


@pytest.fixture(scope="session")
def stack_env(tmp_path_factory, smtp_server, crm_receiver):
    """Environment for a private copy of the whole stack: own ports, own SQLite files, no rate
    limits in reach, the outbox delivering to the local SMTP server and CRM receiver. Rasa's HTTP API, off by
    default, is on (with a token) so tests can read trackers back."""
    from launcher.environment import stack_environment
    from tests.support.servers import config_without_rate_limits, free_port

    var_dir = tmp_path_factory.mktemp("stack")
    action_port = free_port()
    return stack_environment(
        {
            "LEADQUAL_VAR_DIR": str(var_dir),
            # The corpus and browser tests chat far faster than the shipped chat limits allow.
            "LEADQUAL_CONFIG_DIR": str(config_without_rate_limits(var_dir)),
            "DATABASE_URL": f"sqlite:///{var_dir}/leads.db",
            "TRACKER_STORE_URL": f"sqlite:///{var_dir}/conversations.db",
            "RASA_PORT": str(free_port()),
            "ACTION_SERVER_PORT": str(action_port),
            "ACTION_ENDPOINT_URL": f"http://127.0.0.1:{action_port}/webhook",
            "WEB_PORT": str(free_port()),
            "SMTP_HOST": "127.0.0.1",
            "SMTP_PORT": str(smtp_server.port),
            "SMTP_STARTTLS": "false",
            "CRM_WEBHOOK_URL": crm_receiver.url,
            "RASA_ENABLE_API": "true",
            "RASA_API_TOKEN": secrets.token_urlsafe(32),
        }
    )


@pytest.fixture(scope="session")
def running_stack(trained_model, stack_env):
    """Rasa, the action server and the web app as real processes, shared by the e2e tests."""
    from launcher.stack import Stack

    with Stack(stack_env) as stack:
        yield stack
