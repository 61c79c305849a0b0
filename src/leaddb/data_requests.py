"""A visitor's request for a copy of their data or for its erasure, until its emailed link is used.

Only the hash of the link's token is stored. The address is kept until the link is used for an
erasure (then cleared: the row only remembers that the link was used) or the row is purged."""

from __future__ import annotations

from sqlalchemy import Column, Integer, String

from .base import Base, UTCDateTime

KINDS = ("export", "erase")


class DataRequest(Base):
    __tablename__ = "data_requests"

    id = Column(Integer, primary_key=True)
    kind = Column(String(16), nullable=False)  # export | erase
    email = Column(String(320))  # lower case; None once an erasure is done
    token_hash = Column(String(64), nullable=False, unique=True)  # sha256 of the link's token
    created_at = Column(UTCDateTime, nullable=False)
    expires_at = Column(UTCDateTime, nullable=False)
    used_at = Column(UTCDateTime)  # an erasure link works once
