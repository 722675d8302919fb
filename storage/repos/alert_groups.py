"""Alert groups and the incidents their alerts go to (commands/alerts)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import func
from sqlmodel import col, select

from storage.models import AlertGroup, Incident
from storage.repos._base import Repo, dialect_insert, locked, rowcount
from storage.states import OPEN_STATES


class AlertGroups(Repo):
    async def active(self, key_hash: str) -> AlertGroup | None:
        """The group's row while its incident is open (or being opened), locked."""
        query = select(AlertGroup).where(AlertGroup.active_key == key_hash)
        return (await self.session.exec(locked(query))).first()

    async def claim(self, group: AlertGroup) -> AlertGroup | None:
        """Insert ``group`` as the active row of its key; None when another transaction
        holds that key already (PostgreSQL waits for it to commit first)."""
        values = group.model_dump(exclude={"id"})
        insert = dialect_insert(self.session)(AlertGroup).values(**values)
        result = await self.session.exec(insert.on_conflict_do_nothing())
        if rowcount(result) != 1:
            return None
        return await self.active(group.key_hash)

    async def save(self, group: AlertGroup) -> None:
        await self._add(group)

    async def opened_since(self, moment: datetime) -> int:
        """Incidents opened by alerts since ``moment`` (the hourly flood limit)."""
        query = select(func.count()).where(
            col(AlertGroup.opened_incident), AlertGroup.created_at >= moment
        )
        return int((await self.session.exec(query)).one())

    async def newest_alert_incident(self) -> Incident | None:
        """The open incident most recently opened by alerts, locked."""
        query = (
            select(Incident)
            .join(AlertGroup, col(AlertGroup.incident_id) == col(Incident.id))
            .where(col(AlertGroup.opened_incident), col(Incident.state).in_(OPEN_STATES))
            .order_by(col(AlertGroup.created_at).desc(), col(AlertGroup.id).desc())
            .limit(1)
        )
        return (await self.session.exec(locked(query))).first()

    async def of_incident(self, incident_id: int) -> Sequence[AlertGroup]:
        query = (
            select(AlertGroup)
            .where(AlertGroup.incident_id == incident_id)
            .order_by(col(AlertGroup.id))
        )
        return (await self.session.exec(query)).all()

    async def flooded_into(self, incident_id: int) -> int:
        query = select(func.count()).where(
            AlertGroup.incident_id == incident_id, col(AlertGroup.flooded)
        )
        return int((await self.session.exec(query)).one())
