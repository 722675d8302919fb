"""What every repository shares: its session, and a few query helpers."""

from __future__ import annotations

from typing import Any, TypeVar, cast

from sqlalchemy import CursorResult, Select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlmodel.ext.asyncio.session import AsyncSession

TIMERS_CHANGED = "candor_timers_changed"  # session.info key: work for the timer was added
_Query = TypeVar("_Query", bound=Select[Any])


def rowcount(result: Any) -> int:
    return int(cast(CursorResult[Any], result).rowcount)


class Repo:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def _add(self, row: Any) -> None:
        self.session.add(row)
        await self.session.flush()


def locked(query: _Query, of: Any = None) -> _Query:
    """SELECT ... FOR UPDATE whose result overwrites an object this session already
    loaded: the row as locked (perhaps just changed by another transaction), not a stale copy.
    ``of``: in a join, the table whose rows are locked (the others are only read)."""
    return query.with_for_update(of=of).execution_options(populate_existing=True)


def dialect_insert(session: AsyncSession) -> Any:
    """The dialect's INSERT (both have ``on_conflict_do_nothing``)."""
    dialect = session.bind.dialect.name if session.bind else "sqlite"
    return pg_insert if dialect == "postgresql" else sqlite_insert
