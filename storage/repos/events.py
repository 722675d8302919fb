"""Platform event keys seen already (redeliveries), and the health row."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import delete
from sqlmodel import col

from storage.models import ProcessedEvent
from storage.repos._base import Repo, dialect_insert, rowcount


class ProcessedEvents(Repo):
    async def first_time(self, key: str, now: datetime) -> bool:
        """Record an event key; False when it was seen before (a redelivery)."""
        statement = (
            dialect_insert(self.session)(ProcessedEvent)
            .values(key=key, at=now)
            .on_conflict_do_nothing()
        )
        result = await self.session.exec(statement)
        return rowcount(result) == 1

    async def forget(self, key: str) -> None:
        """Let ``key`` be handled again (the work it started was undone)."""
        await self.session.exec(delete(ProcessedEvent).where(col(ProcessedEvent.key) == key))

    async def forget_before(self, moment: datetime) -> None:
        """Platforms redeliver within minutes; keys older than that are only clutter."""
        await self.session.exec(delete(ProcessedEvent).where(col(ProcessedEvent.at) < moment))

    async def touch(self, key: str, now: datetime) -> None:
        """Upsert ``key`` at ``now``: one tiny write (the health check's proof that the
        database takes writes; each check renews its row, so the purge never meets it)."""
        upsert = dialect_insert(self.session)(ProcessedEvent).values(key=key, at=now)
        await self.session.exec(
            upsert.on_conflict_do_update(index_elements=["key"], set_={"at": now})
        )
