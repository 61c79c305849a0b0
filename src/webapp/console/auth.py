"""Signed session cookies, CSRF tokens and the login rate limit.

The session cookie is `payload.signature`, an HMAC-SHA256 over the payload with the project's
secret key (LEADQUAL_SECRET_KEY); the payload holds the username, an expiry and a random nonce.
A form's CSRF token is an HMAC of that nonce, so it is bound to one session and cannot be
guessed by another site. The login form, before any session, uses a double-submit cookie.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import secrets
import time
from collections import defaultdict, deque
from collections.abc import Callable
from dataclasses import dataclass

SESSION_SECONDS = 8 * 3600


@dataclass(frozen=True)
class Session:
    username: str
    nonce: str
    expires: int


def _sign(key: str, message: str) -> str:
    return hmac.new(key.encode(), message.encode(), hashlib.sha256).hexdigest()


def make_session(key: str, username: str, now: float | None = None) -> str:
    session = {"u": username, "n": secrets.token_urlsafe(16), "e": int((now or time.time()) + SESSION_SECONDS)}
    payload = base64.urlsafe_b64encode(json.dumps(session).encode()).decode()
    return f"{payload}.{_sign(key, payload)}"


def read_session(key: str, cookie: str | None, now: float | None = None) -> Session | None:
    if not cookie or "." not in cookie:
        return None
    payload, signature = cookie.rsplit(".", 1)
    if not hmac.compare_digest(signature, _sign(key, payload)):
        return None
    try:
        data = json.loads(base64.urlsafe_b64decode(payload))
        session = Session(str(data["u"]), str(data["n"]), int(data["e"]))
    except (ValueError, KeyError, TypeError):
        return None
    return session if session.expires > (now or time.time()) else None


def csrf_token(key: str, nonce: str) -> str:
    return _sign(key, f"csrf:{nonce}")


def csrf_ok(key: str, nonce: str, token: str | None) -> bool:
    return bool(token) and hmac.compare_digest(str(token), csrf_token(key, nonce))


class LoginLimiter:
    """At most `per_user` failed logins per username and `per_address` per client address within
    `window` seconds (the address limit is higher: an office shares one address), so guessing
    one password and guessing across names are both bounded. A success resets nothing."""

    def __init__(
        self,
        per_user: int = 5,
        per_address: int = 20,
        window: float = 900.0,
        clock: Callable[[], float] = time.monotonic,
    ):
        self.per_user, self.per_address, self.window, self.clock = per_user, per_address, window, clock
        self._failures: dict[str, deque[float]] = defaultdict(deque)

    def _recent(self, key: str) -> deque[float]:
        failures, cutoff = self._failures.get(key, deque()), self.clock() - self.window
        while failures and failures[0] < cutoff:
            failures.popleft()
        if not failures:  # forget names tried long ago, so guessing many names cannot grow memory
            self._failures.pop(key, None)
        return failures

    def retry_after(self, address: str, username: str) -> int | None:
        """Seconds until another try is allowed, or None when one is allowed now."""
        waits = [
            self.window - (self.clock() - failures[0])
            for failures, limit in (
                (self._recent(f"ip:{address}"), self.per_address),
                (self._recent(f"user:{username}"), self.per_user),
            )
            if len(failures) >= limit
        ]
        return int(max(waits)) + 1 if waits else None

    def failed(self, address: str, username: str) -> None:
        now = self.clock()
        self._failures[f"ip:{address}"].append(now)
        self._failures[f"user:{username}"].append(now)
