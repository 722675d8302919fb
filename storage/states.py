"""The states an incident, a statement and a delivery go through (stored as their strings)."""

from __future__ import annotations

from enum import StrEnum


class IncidentState(StrEnum):
    INVESTIGATING = "investigating"
    IDENTIFIED = "identified"
    MONITORING = "monitoring"
    RESOLVED = "resolved"


class StatementState(StrEnum):
    DRAFT = "draft"  # open to votes and edits
    APPROVED = "approved"  # approved, its deliveries being made
    PUBLISHED = "published"
    REJECTED = "rejected"
    SUPERSEDED = "superseded"  # a resolution draft left behind by a reopen


class DeliveryState(StrEnum):
    PENDING = "pending"
    SENDING = "sending"
    SENT = "sent"
    FAILED = "failed"


OPEN_STATES = (IncidentState.INVESTIGATING, IncidentState.IDENTIFIED, IncidentState.MONITORING)
