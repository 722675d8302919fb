"""Persistence: SQLModel tables, the async Store and its unit of work."""

from storage.models import (
    Approval,
    AppSecret,
    Delivery,
    EmailSend,
    Incident,
    ProcessedEvent,
    Reminder,
    RoleAssignment,
    Statement,
    StatementRevision,
    Subscriber,
    Task,
    TimelineEvent,
)
from storage.repos import OPEN_STATES, UnitOfWork
from storage.store import Store

__all__ = [
    "OPEN_STATES",
    "AppSecret",
    "Approval",
    "Delivery",
    "EmailSend",
    "Incident",
    "ProcessedEvent",
    "Reminder",
    "RoleAssignment",
    "Statement",
    "StatementRevision",
    "Store",
    "Subscriber",
    "Task",
    "TimelineEvent",
    "UnitOfWork",
]
