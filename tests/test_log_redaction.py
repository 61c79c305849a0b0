"""Issue 9, item 7: no emails or tokens in logs at INFO and above (appconfig.logredact)."""

from __future__ import annotations

import io
import logging
from collections.abc import Iterator

import pytest

from appconfig.logredact import install_log_redaction, redact, uninstall_log_redaction


@pytest.fixture
def captured() -> Iterator[tuple[logging.Logger, io.StringIO]]:
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(logging.Formatter("%(levelname)s %(message)s %(request)s", defaults={"request": ""}))
    logger = logging.getLogger("tests.redaction")
    logger.addHandler(handler)
    logger.setLevel(logging.DEBUG)
    logger.propagate = False
    install_log_redaction()
    yield logger, stream
    logger.removeHandler(handler)
    uninstall_log_redaction()


def test_emails_and_tokens_are_redacted():
    text = redact("mail jane.doe+x@example.co.uk: GET /meetings/3/accept?token=abc.DEF-123&x=1 'token': 'q1w2'")
    assert "jane.doe" not in text and "example.co.uk" not in text
    assert "abc.DEF-123" not in text and "q1w2" not in text
    assert "<email>" in text and "token=<redacted>&x=1" in text
    assert redact("Authorization: Bearer s3cr3t-value") == "Authorization: Bearer <redacted>"


def test_records_at_info_and_above_are_redacted_with_their_arguments_and_traceback(captured):
    logger, stream = captured
    logger.info("lead %s booked via %s", "jane@example.com", "https://x.test/invite?token=SECRET1")
    try:
        raise ValueError("no slot for jane@example.com")
    except ValueError:
        logger.exception("booking failed")
    logger.debug("debug keeps dev@example.com")
    # Sanic's access log: the request line, token and all, comes as an `extra` field.
    logger.info("", extra={"request": "GET http://x.test/meetings/1/accept?token=SECRET2"})
    output = stream.getvalue()
    assert "jane@example.com" not in output and "SECRET1" not in output and "SECRET2" not in output, output
    assert "/meetings/1/accept?token=<redacted>" in output
    assert "lead <email> booked via https://x.test/invite?token=<redacted>" in output
    assert "ValueError: no slot for <email>" in output
    assert "dev@example.com" in output  # DEBUG is left alone


def test_database_errors_leave_the_values_out(tmp_path):
    # A failed write is logged with its traceback (actions/form.py, webapp/tracking.py); the
    # statement's values (an answer, an email) must not be in it.
    from sqlalchemy import text
    from sqlalchemy.exc import IntegrityError

    from leaddb.base import make_engine

    engine = make_engine(f"sqlite:///{tmp_path / 'leads.db'}")
    try:
        with engine.begin() as connection:
            connection.execute(text("CREATE TABLE people (email TEXT UNIQUE)"))
            connection.execute(text("INSERT INTO people VALUES (:email)"), {"email": "jane@example.com"})
        with pytest.raises(IntegrityError) as error, engine.begin() as connection:
            connection.execute(text("INSERT INTO people VALUES (:email)"), {"email": "jane@example.com"})
    finally:
        engine.dispose()
    assert "UNIQUE constraint failed" in str(error.value)
    assert "jane@example.com" not in str(error.value)
