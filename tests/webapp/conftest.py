"""Fixtures for the web app tests: a real server on a temporary SQLite file (PostgreSQL
schemas come from tests/conftest.py). Helpers to start more servers live in tests/support/servers.py."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.support.servers import RunningWebapp, running_webapp


@pytest.fixture(scope="module")
def webapp(tmp_path_factory) -> Iterator[RunningWebapp]:
    database = tmp_path_factory.mktemp("webapp-db") / "leads.db"
    with running_webapp(f"sqlite:///{database}") as server:
        yield server
