"""Fixtures for the web app tests: a real server on a temporary SQLite file, and a fresh
PostgreSQL schema. Helpers to start more servers live in webapp_server.py."""
from __future__ import annotations

import os
import uuid
from typing import Iterator

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.exc import OperationalError

from tests.webapp.webapp_server import RunningWebapp, running_webapp


@pytest.fixture(scope="module")
def webapp(tmp_path_factory) -> Iterator[RunningWebapp]:
    database = tmp_path_factory.mktemp("webapp-db") / "leads.db"
    with running_webapp(f"sqlite:///{database}") as server:
        yield server


POSTGRES_URL = os.getenv("TEST_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/test")


@pytest.fixture
def postgres_url() -> Iterator[str]:
    """A PostgreSQL URL whose connections work in a fresh schema, dropped afterwards."""
    schema = f"test_events_{uuid.uuid4().hex[:12]}"
    admin = create_engine(POSTGRES_URL, future=True)
    try:
        with admin.begin() as connection:
            connection.execute(text(f"CREATE SCHEMA {schema}"))
    except OperationalError as exc:
        admin.dispose()
        pytest.skip(f"PostgreSQL at {POSTGRES_URL} is unreachable: {exc.orig}")
    try:
        yield f"{POSTGRES_URL}?options=-csearch_path%3D{schema}"
    finally:
        with admin.begin() as connection:
            connection.execute(text(f"DROP SCHEMA {schema} CASCADE"))
        admin.dispose()
