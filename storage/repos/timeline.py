"""An incident's timeline."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlmodel import col, select

from storage.models import TimelineEvent
from storage.repos._base import Repo


class Timeline(Repo):
    async def add(
        self,
        incident_id: int,
        at: datetime,
        kind: str,
        text: str,
        actor_id: str | None = None,
        **data: Any,
    ) -> None:
        await self._add(
            TimelineEvent(
                incident_id=incident_id, at=at, kind=kind, text=text, actor_id=actor_id, data=data
            )
        )

    async def add_or_count(
        self,
        incident_id: int,
        at: datetime,
        kind: str,
        text: str,
        actor_id: str,
        key: str,
        **data: Any,
    ) -> None:
        """Add an event, or count a repeat of the same one (same kind, person and ``key``)
        on the line already there: a person hammering a refused button is one line, not
        a thousand."""
        query = (
            select(TimelineEvent)
            .where(
                TimelineEvent.incident_id == incident_id,
                TimelineEvent.kind == kind,
                TimelineEvent.actor_id == actor_id,
            )
            .order_by(col(TimelineEvent.id).desc())
            .limit(20)
        )
        for event in (await self.session.exec(query)).all():
            if event.data.get("key") == key:
                count = int(event.data.get("count", 1)) + 1
                event.data = {**event.data, "count": count, "last_at": at.isoformat()}
                event.text = f"{text} (×{count}, last at {at:%H:%M} UTC)"[:4000]
                self.session.add(event)
                return
        await self.add(incident_id, at, kind, text, actor_id, key=key, **data)

    async def of_incident(self, incident_id: int) -> Sequence[TimelineEvent]:
        query = (
            select(TimelineEvent)
            .where(TimelineEvent.incident_id == incident_id)
            .order_by(col(TimelineEvent.at), col(TimelineEvent.id))
        )
        return (await self.session.exec(query)).all()
