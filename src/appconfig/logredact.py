"""Logs at INFO and above never carry an email address or a link's token.

`install_log_redaction()` replaces the process's log-record factory, so every record, whichever
logger made it and whichever handler (Rasa's, Sanic's, coloredlogs) later writes it, has its
message, traceback and stack text redacted once when it is made: email addresses become
`<email>`, `token=...` query values and `Bearer ...` credentials become `<redacted>`. DEBUG
records stay as they are (debug logging is for a developer's own machine).

Each entry point calls it first: the action server, the web app, the worker and Rasa
(`channels.rasa_main`)."""

from __future__ import annotations

import logging
import re
import traceback
from typing import Any

EMAIL = re.compile(r"[A-Za-z0-9.!#$%&'*+/=?^_`{|}~-]+@[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?(?:\.[A-Za-z0-9-]+)+")
# token=..., access_token=..., "token": "...": in URLs, query strings, JSON and reprs.
TOKEN_VALUE = re.compile(r"""(token["']?\s*[=:]\s*["']?)[^\s&"',;)}\]]+""", re.IGNORECASE)
BEARER = re.compile(r"(Bearer\s+)[^\s\"',;]+", re.IGNORECASE)
REDACTED = "<redacted>"


def redact(text: str) -> str:
    text = EMAIL.sub("<email>", text)
    text = TOKEN_VALUE.sub(rf"\g<1>{REDACTED}", text)
    return BEARER.sub(rf"\g<1>{REDACTED}", text)


def redact_record(record: logging.LogRecord) -> logging.LogRecord:
    """The record with its text redacted in place: the message is formatted with its arguments
    first (an address may be an argument), the traceback is formatted into `exc_text`, which
    formatters print instead of formatting `exc_info` again."""
    try:
        message = record.getMessage()
    except Exception:  # a bad format string: keep what there is, as text
        message = f"{record.msg!s} {record.args!r}"
    record.msg, record.args = redact(message), ()
    if record.exc_info and record.exc_info[0] is not None:
        record.exc_text = redact("".join(traceback.format_exception(*record.exc_info)).rstrip("\n"))
    elif record.exc_text:
        record.exc_text = redact(record.exc_text)
    if record.stack_info:
        record.stack_info = redact(record.stack_info)
    return record


def install_log_redaction(level: int = logging.INFO) -> None:
    """Redact every record at `level` or above made in this process from now on (idempotent)."""
    previous = logging.getLogRecordFactory()
    if getattr(previous, "redacts_from", None) is not None:
        return

    def factory(*args: Any, **kwargs: Any) -> logging.LogRecord:
        record = previous(*args, **kwargs)
        return redact_record(record) if record.levelno >= level else record

    factory.redacts_from = level  # type: ignore[attr-defined]
    logging.setLogRecordFactory(factory)
