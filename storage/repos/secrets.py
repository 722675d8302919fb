"""Secrets the application makes itself and keeps in the database."""

from __future__ import annotations

from datetime import datetime

from sqlmodel import select

from storage.models import AppSecret
from storage.repos._base import Repo, dialect_insert


class AppSecrets(Repo):
    async def get_or_create(self, name: str, candidate: str, now: datetime) -> str:
        """The secret called ``name``; ``candidate`` is kept only if none exists yet
        (two processes starting together end up with the same one)."""
        statement = (
            dialect_insert(self.session)(AppSecret)
            .values(name=name, value=candidate, created_at=now)
            .on_conflict_do_nothing()
        )
        await self.session.exec(statement)
        query = select(AppSecret.value).where(AppSecret.name == name)
        return (await self.session.exec(query)).one()
