"""Queries, grouped by aggregate, used inside one unit of work."""

from storage.repos.alert_groups import AlertGroups
from storage.repos.deliveries import Deliveries
from storage.repos.events import ProcessedEvents
from storage.repos.incidents import Incidents, Roles, Tasks
from storage.repos.reminders import Reminders
from storage.repos.secrets import AppSecrets
from storage.repos.statements import Statements
from storage.repos.subscribers import EmailSends, Subscribers
from storage.repos.timeline import Timeline
from storage.repos.unit_of_work import UnitOfWork

__all__ = [
    "AlertGroups",
    "AppSecrets",
    "Deliveries",
    "EmailSends",
    "Incidents",
    "ProcessedEvents",
    "Reminders",
    "Roles",
    "Statements",
    "Subscribers",
    "Tasks",
    "Timeline",
    "UnitOfWork",
]
