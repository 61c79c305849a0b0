"""Which variant of each dialogue experiment a lead was given (the rules are in `experiments`).

One row per lead and experiment, written once: a visitor keeps their variant even when an
operator later changes the weights, so the figures compare what each visitor really saw."""

from __future__ import annotations

from sqlalchemy import Column, ForeignKey, Integer, String

from .base import Base, UTCDateTime


class LeadExperiment(Base):
    __tablename__ = "lead_experiments"

    lead_id = Column(Integer, ForeignKey("leads.id", ondelete="CASCADE"), primary_key=True)
    experiment = Column(String(64), primary_key=True)
    variant = Column(String(64), nullable=False)
    assigned_at = Column(UTCDateTime, nullable=False)
