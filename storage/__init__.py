"""Persistence: SQLModel tables, the async Store and its unit of work."""

from storage.models import (
    AlertGroup,
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
from storage.repos import UnitOfWork
from storage.scratch import scratch_copy, sqlite_path
from storage.states import OPEN_STATES, DeliveryState, IncidentState, StatementState
from storage.store import Store, in_unit_of_work

__all__ = [
    "OPEN_STATES",
    "AlertGroup",
    "AppSecret",
    "Approval",
    "Delivery",
    "DeliveryState",
    "EmailSend",
    "Incident",
    "IncidentState",
    "ProcessedEvent",
    "Reminder",
    "RoleAssignment",
    "Statement",
    "StatementRevision",
    "StatementState",
    "Store",
    "Subscriber",
    "Task",
    "TimelineEvent",
    "UnitOfWork",
    "in_unit_of_work",
    "scratch_copy",
    "sqlite_path",
]
