"""The production profile for the tests in this folder: started once per run (see
tests/support/production_stack.py), against this machine's PostgreSQL, Redis and RabbitMQ."""

from __future__ import annotations

import os
from collections.abc import Iterator

import pytest
from sqlalchemy import create_engine

from tests.support.production_stack import POSTGRES_URL, ProductionStack, StartFailed, running_production_profile


@pytest.fixture(scope="session")
def production_stack(trained_model) -> Iterator[ProductionStack]:
    admin = create_engine(POSTGRES_URL, future=True)
    try:
        with admin.connect():
            pass
    except Exception as error:
        if os.getenv("CI"):
            pytest.fail(f"PostgreSQL at {POSTGRES_URL} is not reachable in CI: {error}")
        pytest.skip(f"PostgreSQL at {POSTGRES_URL} is not reachable: {error}")
    finally:
        admin.dispose()
    try:
        with running_production_profile() as stack:
            yield stack
    except StartFailed as error:
        pytest.fail(str(error))
