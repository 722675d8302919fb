"""Persistence: SQLModel tables, the async Store and its unit of work."""

from storage.models import (
    Approval,
    Delivery,
    Incident,
    ProcessedEvent,
    Reminder,
    RoleAssignment,
    Statement,
    StatementRevision,
    Task,
    TimelineEvent,
)
from storage.repos import OPEN_STATES, UnitOfWork
from storage.store import Store

__all__ = [
    "OPEN_STATES",
    "Approval",
    "Delivery",
    "Incident",
    "ProcessedEvent",
    "Reminder",
    "RoleAssignment",
    "Statement",
    "StatementRevision",
    "Store",
    "Task",
    "TimelineEvent",
    "UnitOfWork",
]
