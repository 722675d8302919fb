"""What the timer asks the database: when to wake next, and the due reminders to fire now,
claimed a batch at a time."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import func, update
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from storage.models import Delivery, Incident, Reminder, RoleAssignment, Task
from storage.states import DeliveryState


class Timers:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def next_times(self) -> tuple[datetime | None, datetime | None, datetime | None]:
        """In one round trip: the earliest pending reminder, the earliest pending delivery,
        and the oldest claim of a delivery being sent (its lease runs from then)."""
        reminder = select(func.min(Reminder.fire_at)).where(
            col(Reminder.fired_at).is_(None), col(Reminder.cancelled_at).is_(None)
        )
        delivery = select(func.min(Delivery.next_attempt_at)).where(
            Delivery.state == DeliveryState.PENDING
        )
        claim = select(func.min(Delivery.claimed_at)).where(Delivery.state == DeliveryState.SENDING)
        query = select(
            reminder.scalar_subquery(), delivery.scalar_subquery(), claim.scalar_subquery()
        )
        row = (await self.session.exec(query)).one()
        return row[0], row[1], row[2]

    async def claim_due(
        self, now: datetime, limit: int
    ) -> tuple[list[Reminder], dict[int, Incident]]:
        """Claim up to ``limit`` due reminders, oldest first, with their incidents locked.

        The incidents are locked first, in id order, as commands lock an incident before
        its reminders (no deadlock); one a command holds right now is skipped (SKIP
        LOCKED), and its reminders wait for the next round. The claim itself is the
        conditional UPDATE: a reminder fired or cancelled meanwhile is not taken."""
        unfired = (col(Reminder.fired_at).is_(None), col(Reminder.cancelled_at).is_(None))
        due_query = (
            select(Reminder.id, Reminder.incident_id)
            .where(col(Reminder.fire_at) <= now, *unfired)
            .order_by(col(Reminder.fire_at), col(Reminder.id))
            .limit(limit)
        )
        due = (await self.session.exec(due_query)).all()
        if not due:
            return [], {}
        lock = (
            select(Incident)
            .where(col(Incident.id).in_(sorted({incident for _, incident in due})))
            .order_by(col(Incident.id))
            .with_for_update(skip_locked=True)
            .execution_options(populate_existing=True)
        )
        incidents = {i.id: i for i in (await self.session.exec(lock)).all() if i.id is not None}
        wanted = [reminder for reminder, incident in due if incident in incidents]
        if not wanted:
            return [], {}
        claim = (
            update(Reminder)
            .where(col(Reminder.id).in_(wanted), *unfired)
            .values(fired_at=now)
            .returning(col(Reminder.id))
        )
        claimed = [row[0] for row in (await self.session.exec(claim)).all()]
        query = (
            select(Reminder)
            .where(col(Reminder.id).in_(claimed))
            .order_by(col(Reminder.fire_at), col(Reminder.id))
            .execution_options(populate_existing=True)
        )
        return list((await self.session.exec(query)).all()), incidents

    async def roles_of(self, incident_ids: Sequence[int]) -> dict[int, dict[str, str]]:
        """role → holder, per incident."""
        query = (
            select(RoleAssignment)
            .where(
                col(RoleAssignment.incident_id).in_(incident_ids),
                col(RoleAssignment.ended_at).is_(None),
            )
            .order_by(col(RoleAssignment.id))
        )
        roles: dict[int, dict[str, str]] = {}
        for assignment in (await self.session.exec(query)).all():
            roles.setdefault(assignment.incident_id, {})[assignment.role] = assignment.user_id
        return roles

    async def tasks(self, task_ids: Sequence[int]) -> dict[int, Task]:
        if not task_ids:
            return {}
        query = select(Task).where(col(Task.id).in_(task_ids))
        return {t.id: t for t in (await self.session.exec(query)).all() if t.id is not None}
