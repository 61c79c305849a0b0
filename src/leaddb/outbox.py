"""The outbox: messages waiting to be delivered. The `handoff.outbox` worker delivers them."""

from __future__ import annotations

from sqlalchemy import JSON, Column, Index, Integer, String, Text

from .base import Base, UTCDateTime, utcnow

OUTBOX_STATUSES = ("pending", "sent", "parked")


class OutboxMessage(Base):
    """An outbound message (email, webhook, CRM push), written in the same transaction as the
    change it reports and delivered later by the outbox worker."""

    __tablename__ = "outbox"
    __table_args__ = (Index("ix_outbox_due", "status", "next_attempt_at"),)

    id = Column(Integer, primary_key=True)
    kind = Column(String(16), nullable=False)  # email | webhook | crm
    target = Column(String(1024), nullable=False)  # an email address or a URL
    payload = Column(JSON, nullable=False)
    status = Column(String(16), nullable=False, default="pending")
    attempts = Column(Integer, nullable=False, default=0)
    next_attempt_at = Column(UTCDateTime, nullable=False, default=utcnow)
    # A worker that claims a message owns it until then; a crashed worker's claim runs out.
    claimed_until = Column(UTCDateTime)
    last_error = Column(Text)
    created_at = Column(UTCDateTime, nullable=False, default=utcnow)
    sent_at = Column(UTCDateTime)
