"""Logs at INFO and above never carry an email address or a link's token.

`install_log_redaction()` hooks `logging.Logger.makeRecord`, so every record, whichever
logger made it and whichever handler (Rasa's, Sanic's, coloredlogs) later writes it, has its
message, traceback, stack text and `extra` text fields redacted once when it is made: email addresses become
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


# What every LogRecord has; anything else on a record came from `extra=` (Sanic's access log
# passes the request line, query string and all, as `extra["request"]`).
_STANDARD_ATTRIBUTES = frozenset(vars(logging.LogRecord("", 0, "", 0, "", (), None))) | {"message", "asctime"}


def _redact_extra(record: logging.LogRecord) -> None:
    for key, value in list(vars(record).items()):
        if key not in _STANDARD_ATTRIBUTES and isinstance(value, str):
            setattr(record, key, redact(value))


def install_log_redaction(level: int = logging.INFO) -> None:
    """Redact every record at `level` or above made in this process from now on (idempotent).

    The hook is `Logger.makeRecord`, which every logger calls (Rasa's, Sanic's, ours) before
    any filter or handler sees the record, and after `extra=` fields are on it."""
    if getattr(logging.Logger.makeRecord, "redacts_from", None) is not None:
        return
    original = logging.Logger.makeRecord

    def make_record(self: logging.Logger, *args: Any, **kwargs: Any) -> logging.LogRecord:
        record = original(self, *args, **kwargs)
        if record.levelno >= level:
            redact_record(record)
            _redact_extra(record)
        return record

    make_record.redacts_from = level  # type: ignore[attr-defined]
    make_record.original = original  # type: ignore[attr-defined]
    logging.Logger.makeRecord = make_record  # type: ignore[method-assign]


def uninstall_log_redaction() -> None:
    """Undo `install_log_redaction` (for tests)."""
    original = getattr(logging.Logger.makeRecord, "original", None)
    if original is not None:
        logging.Logger.makeRecord = original  # type: ignore[method-assign]
