"""What the outside may send, checked the same way by the web app and the chat channels.

- `VISITOR_ID`: the only sender/visitor id format accepted (tracker.js makes UUIDs, Rasa's
  socket.io channel 32 hex digits); `default`, `../../x`, 5,000 characters or control
  characters are not visitor ids.
- `origin_key`: an origin as (scheme, host, port), so `https://a.test`, `HTTPS://A.test:443`
  and `https://a.test/` are one origin and `http://a.test` is another.
- `text_problem`: why a chat message cannot be read (a lone surrogate is not Unicode and
  cannot be encoded); `without_nul` drops NUL characters, which PostgreSQL text refuses, so a
  message carrying one is still answered and stored without it.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from urllib.parse import urlsplit

VISITOR_ID = re.compile(r"[A-Za-z0-9_-]{8,128}")
VISITOR_ID_PROBLEM = "must be 8-128 letters, digits, '-' or '_'"

_DEFAULT_PORTS = {"http": 80, "https": 443, "ws": 80, "wss": 443}


def origin_key(url: str | None) -> tuple[str, str, int] | None:
    """(scheme, host, port) of an origin or URL, lower-cased with the default port filled
    in; None for anything that is not an http(s) origin (`null`, garbage, a bad port)."""
    if not url:
        return None
    try:
        parts = urlsplit(url.strip())
        port = parts.port
    except ValueError:
        return None
    scheme, host = parts.scheme.lower(), (parts.hostname or "").lower()
    if scheme not in ("http", "https") or not host:
        return None
    return scheme, host, port if port is not None else _DEFAULT_PORTS[scheme]


def origin_allowed(origin: str | None, allowed: Iterable[str]) -> bool:
    key = origin_key(origin)
    return key is not None and any(key == origin_key(item) for item in allowed)


def without_nul(value: str) -> str:
    return value.replace("\x00", "")


def text_problem(value: str) -> str | None:
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        return "contains an unpaired surrogate (not valid Unicode text)"
    return None
