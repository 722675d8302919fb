"""Reminders the timer fires."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import func, update
from sqlmodel import col, select

from storage.models import Reminder
from storage.repos._base import TIMERS_CHANGED, Repo, rowcount


class Reminders(Repo):
    async def add(self, reminder: Reminder) -> None:
        await self._add(reminder)
        self.session.info[TIMERS_CHANGED] = True

    async def of_incident(self, incident_id: int, kind: str) -> Sequence[Reminder]:
        """One incident's reminders of one kind, fired and cancelled ones too, oldest first."""
        query = (
            select(Reminder)
            .where(Reminder.incident_id == incident_id, Reminder.kind == kind)
            .order_by(col(Reminder.id))
        )
        return (await self.session.exec(query)).all()

    async def cancel_pending(
        self,
        incident_id: int,
        now: datetime,
        *,
        kind: str | None = None,
        task_id: int | None = None,
    ) -> None:
        query = update(Reminder).where(
            col(Reminder.incident_id) == incident_id,
            col(Reminder.fired_at).is_(None),
            col(Reminder.cancelled_at).is_(None),
        )
        if kind is not None:
            query = query.where(col(Reminder.kind) == kind)
        if task_id is not None:
            query = query.where(col(Reminder.task_id) == task_id)
        await self.session.exec(query.values(cancelled_at=now))

    async def due(self, now: datetime, limit: int = 200) -> Sequence[Reminder]:
        query = (
            select(Reminder)
            .where(
                col(Reminder.fire_at) <= now,
                col(Reminder.fired_at).is_(None),
                col(Reminder.cancelled_at).is_(None),
            )
            .order_by(col(Reminder.fire_at), col(Reminder.id))
            .limit(limit)
        )
        return (await self.session.exec(query)).all()

    async def get(self, reminder_id: int) -> Reminder | None:
        return await self.session.get(Reminder, reminder_id)

    async def claim(self, reminder_id: int, now: datetime) -> bool:
        """Mark a reminder fired, for exactly one caller."""
        result = await self.session.exec(
            update(Reminder)
            .where(
                col(Reminder.id) == reminder_id,
                col(Reminder.fired_at).is_(None),
                col(Reminder.cancelled_at).is_(None),
            )
            .values(fired_at=now)
        )
        return rowcount(result) == 1

    async def next_fire_at(self) -> datetime | None:
        query = select(func.min(Reminder.fire_at)).where(
            col(Reminder.fired_at).is_(None), col(Reminder.cancelled_at).is_(None)
        )
        return (await self.session.exec(query)).one()
