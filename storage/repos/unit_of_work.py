"""One transaction, with a repository per aggregate."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from sqlmodel.ext.asyncio.session import AsyncSession

from storage.repos._base import TIMERS_CHANGED
from storage.repos.alert_groups import AlertGroups
from storage.repos.deliveries import Deliveries
from storage.repos.events import ProcessedEvents
from storage.repos.incidents import Incidents, Roles, Tasks
from storage.repos.reminders import Reminders
from storage.repos.secrets import AppSecrets
from storage.repos.statements import Statements
from storage.repos.subscribers import EmailSends, Subscribers
from storage.repos.timeline import Timeline
from storage.timers import Timers


class UnitOfWork:
    """One transaction, with a repository per table and after-commit callbacks."""

    def __init__(self, session: AsyncSession) -> None:
        self.session = session
        self.incidents = Incidents(session)
        self.roles = Roles(session)
        self.tasks = Tasks(session)
        self.statements = Statements(session)
        self.deliveries = Deliveries(session)
        self.reminders = Reminders(session)
        self.timers = Timers(session)  # storage/timers.py
        self.timeline = Timeline(session)
        self.events = ProcessedEvents(session)
        self.subscribers = Subscribers(session)
        self.email_sends = EmailSends(session)
        self.secrets = AppSecrets(session)
        self.alert_groups = AlertGroups(session)
        self._after_commit: list[Callable[[], Awaitable[None]]] = []
        self._on_rollback: list[Callable[[], Awaitable[None]]] = []

    @property
    def timers_changed(self) -> bool:
        """Whether this unit of work added reminders or deliveries (the timer may need
        to wake sooner); read-only commands then skip re-arming."""
        return bool(self.session.info.get(TIMERS_CHANGED))

    def after_commit(self, callback: Callable[[], Awaitable[None]]) -> None:
        self._after_commit.append(callback)

    def pending_after_commit(self) -> list[Callable[[], Awaitable[None]]]:
        return list(self._after_commit)

    def on_rollback(self, callback: Callable[[], Awaitable[None]]) -> None:
        """Run ``callback`` if this unit of work fails: undo or report what it did
        outside the database. The callback must not raise."""
        self._on_rollback.append(callback)

    def pending_on_rollback(self) -> list[Callable[[], Awaitable[None]]]:
        return list(self._on_rollback)
