"""A person's request, made in the chat, for a copy of their data or for its erasure: never
answered in the chat, but by a link emailed to the address (through the outbox), which the web
app serves (`webapp.data_requests`).

    request_data(db, "export" | "erase", email, base_url, link_hours, now)   # queue the email
    email = check_link(db, "export", token, now)        # the address the link is for, or
        # DataRequestRefused(code): not_found | expired | used
    email = claim_erasure(db, token, now)               # the same, and the link is used up

The visitor is told the same whatever the address: a link goes to it whether or not anything is
stored about it (the page behind the link says so), so the chat cannot tell who is a customer.
At most MAX_LINKS_PER_DAY links go to one address in a day, so the chat cannot flood a mailbox.
"""

from __future__ import annotations

import hashlib
import secrets
from datetime import datetime, timedelta

from sqlalchemy import func, select, update

from leaddb import LeadStore
from leaddb.data_requests import KINDS, DataRequest

from .outbox import enqueue

MAX_LINKS_PER_DAY = 3

_WHAT = {
    "export": (
        "Your data at Beacon: the link you asked for",
        "open this link to see and download a copy of everything we store about this address",
    ),
    "erase": (
        "Erasing your data at Beacon: please confirm",
        "open this link and confirm, and we will erase everything we store about this address",
    ),
}


class DataRequestRefused(Exception):
    """A data request link that cannot be used; `code` is not_found, expired or used."""

    def __init__(self, code: str, message: str):
        super().__init__(message)
        self.code = code


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8", "surrogatepass")).hexdigest()


def data_request_url(base_url: str, kind: str, token: str) -> str:
    return f"{base_url.rstrip('/')}/privacy/{kind}?token={token}"


def request_data(db: LeadStore, kind: str, email: str, base_url: str, link_hours: int, now: datetime) -> bool:
    """Queue the email with the link for `email` (whether or not anything is stored about it).
    False when the address already had MAX_LINKS_PER_DAY links today: nothing is sent."""
    if kind not in KINDS:
        raise ValueError(f"unknown data request {kind!r} (expected one of {', '.join(KINDS)})")
    address = email.strip().lower()
    token = secrets.token_urlsafe(32)
    subject, action = _WHAT[kind]
    text = (
        "Hello,\n\n"
        f"someone, we hope you, asked in the chat on our website about the data we store about {address}. "
        f"To go ahead, {action}:\n\n{data_request_url(base_url, kind, token)}\n\n"
        f"The link works for {link_hours} hours. If you did not ask, ignore this email: nothing happens.\n\n"
        "Beacon\n"
    )
    with db.session() as session:
        sent_today = session.execute(
            select(func.count(DataRequest.id)).where(
                DataRequest.email == address, DataRequest.created_at > now - timedelta(days=1)
            )
        ).scalar_one()
        if sent_today >= MAX_LINKS_PER_DAY:
            return False
        session.add(
            DataRequest(
                kind=kind,
                email=address,
                token_hash=_hash(token),
                created_at=now,
                expires_at=now + timedelta(hours=link_hours),
            )
        )
        enqueue(session, "email", address, {"subject": subject, "text": text}, now)
    return True


def _usable(session, kind: str, token: str | None, now: datetime) -> DataRequest:
    if not isinstance(token, str) or not token:
        raise DataRequestRefused("not_found", "this link is not valid")
    request = session.execute(
        select(DataRequest).where(DataRequest.token_hash == _hash(token), DataRequest.kind == kind)
    ).scalar_one_or_none()
    if request is None:
        raise DataRequestRefused("not_found", "this link is not valid")
    if request.used_at is not None:
        raise DataRequestRefused("used", "this link has been used already")
    if request.expires_at <= now:
        raise DataRequestRefused("expired", "this link has expired")
    return request


def check_link(db: LeadStore, kind: str, token: str | None, now: datetime) -> str:
    """The address a valid, unexpired (and, for an erasure, unused) link is for."""
    with db.session() as session:
        return _usable(session, kind, token, now).email


def claim_erasure(db: LeadStore, token: str | None, now: datetime) -> str:
    """Use up an erasure link: the address it is for. The row forgets the address; a second
    use, even at the same moment, is refused."""
    with db.session() as session:
        request = _usable(session, "erase", token, now)
        email = request.email
        claimed = session.execute(
            update(DataRequest)
            .where(DataRequest.id == request.id, DataRequest.used_at.is_(None))
            .values(used_at=now, email=None)
        ).rowcount
    if claimed != 1:
        raise DataRequestRefused("used", "this link has been used already")
    return email
