"""Visitor ids that cannot be borrowed: each id travels with a proof the site signed.

A proof is `ID.ISSUED.MAC`: the visitor id, when it was issued (whole seconds since the epoch)
and HMAC-SHA256 over `ID.ISSUED` with a key derived from LEADQUAL_SECRET_KEY, base64url
without padding. The web app issues it in the `lq_vid` cookie (HttpOnly); /track and the chat
channels accept events and messages for an id only together with its valid, unexpired proof.
Knowing someone's id (it is in URLs, logs, CRM records) is then not enough to act as them.

Server-to-server senders sign their whole request body instead (`sign_body`,
`X-Track-Signature: sha256=HEX`), with a secret of their own.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import time
import uuid
from dataclasses import dataclass

from .inputs import VISITOR_ID

COOKIE_NAME = "lq_vid"  # deploy/nginx.conf.j2 hashes this cookie for sticky socket.io
# A separate key for this purpose, so a visitor proof is never valid as another signed value
# (invite and feed links are signed with the same LEADQUAL_SECRET_KEY).
_PURPOSE = b"leadqual visitor proof v1"


@dataclass(frozen=True)
class VisitorProof:
    visitor_id: str
    issued_at: int  # seconds since the epoch
    value: str  # what the cookie holds

    def age(self, now: float | None = None) -> float:
        return (time.time() if now is None else now) - self.issued_at


def new_visitor_id() -> str:
    return str(uuid.uuid4())


def _mac(visitor_id: str, issued_at: int, key: str) -> str:
    purpose_key = hmac.new(key.encode("utf-8"), _PURPOSE, hashlib.sha256).digest()
    digest = hmac.new(purpose_key, f"{visitor_id}.{issued_at}".encode("ascii"), hashlib.sha256).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode("ascii")


def issue(key: str, visitor_id: str | None = None, now: float | None = None) -> VisitorProof:
    """A proof for `visitor_id` (a fresh id when None), issued now."""
    visitor_id = visitor_id or new_visitor_id()
    if not VISITOR_ID.fullmatch(visitor_id):
        raise ValueError(f"not a visitor id: {visitor_id[:40]!r}")
    issued_at = int(time.time() if now is None else now)
    return VisitorProof(visitor_id, issued_at, f"{visitor_id}.{issued_at}.{_mac(visitor_id, issued_at, key)}")


def verify(value: object, key: str, lifetime_seconds: float, now: float | None = None) -> VisitorProof | None:
    """The proof `value` stands for when it was signed with `key` and is not older than
    `lifetime_seconds` (nor issued in the future); None for anything else."""
    if not isinstance(value, str) or len(value) > 300:
        return None
    parts = value.split(".")
    if len(parts) != 3 or not VISITOR_ID.fullmatch(parts[0]) or not parts[1].isdigit() or len(parts[1]) > 12:
        return None
    visitor_id, issued_at = parts[0], int(parts[1])
    if not hmac.compare_digest(parts[2].encode("ascii", "replace"), _mac(visitor_id, issued_at, key).encode("ascii")):
        return None
    now = time.time() if now is None else now
    # A minute of slack: replicas' clocks differ a little.
    if issued_at > now + 60 or now - issued_at > lifetime_seconds:
        return None
    return VisitorProof(visitor_id, issued_at, value)


def proves(value: object, visitor_id: str, key: str, lifetime_seconds: float, now: float | None = None) -> bool:
    """Whether `value` is a valid proof for exactly `visitor_id`."""
    proof = verify(value, key, lifetime_seconds, now)
    return proof is not None and hmac.compare_digest(proof.visitor_id, visitor_id)


def sign_body(body: bytes, secret: str) -> str:
    """The `X-Track-Signature` value of a server-to-server request: `sha256=` and the hex HMAC."""
    return "sha256=" + hmac.new(secret.encode("utf-8"), body, hashlib.sha256).hexdigest()


def body_signed(body: bytes, signature: str | None, secret: str) -> bool:
    if not signature or not secret:
        return False
    return hmac.compare_digest(signature.strip().encode("utf-8", "replace"), sign_body(body, secret).encode("ascii"))
