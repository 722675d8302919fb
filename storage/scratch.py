"""A scratch copy of a database, for rehearsals (``candor console --rehearse``): the clock
is moved forward there, and the real record never holds a time that has not come yet.

The copy is always a SQLite file. SQLite is copied with its backup API (consistent even
while another connection writes). PostgreSQL is read table by table into a freshly
migrated SQLite file: Candor's tables only, in the order their foreign keys need.
"""

from __future__ import annotations

import asyncio
import sqlite3
from contextlib import closing
from pathlib import Path

from sqlalchemy import insert, select
from sqlalchemy.engine import make_url
from sqlmodel import SQLModel

from storage.database_url import SQLITE
from storage.store import Store, create_engine


async def scratch_copy(url: str, directory: Path) -> tuple[str, bool]:
    """A SQLite URL for a copy of ``url``'s database made in ``directory``, and whether
    there was anything to copy (False: a SQLite file not made yet)."""
    target = directory / "rehearsal.db"
    target_url = f"{SQLITE}:///{target}"
    source = sqlite_path(url)
    if make_url(url).get_backend_name() != "sqlite":
        await _copy_postgresql(url, target_url)
        return target_url, True
    if source is None or not source.is_file():
        return target_url, False
    await asyncio.to_thread(_backup_sqlite, source, target)
    return target_url, True


def _backup_sqlite(source: Path, target: Path) -> None:
    with (
        closing(sqlite3.connect(f"file:{source}?mode=ro", uri=True)) as original,
        closing(sqlite3.connect(target)) as copy,
    ):
        original.backup(copy)


async def _copy_postgresql(url: str, target_url: str) -> None:
    copy = Store(target_url)
    original = create_engine(url)
    try:
        await copy.migrate()
        async with original.connect() as reading, copy.engine.begin() as writing:
            for table in SQLModel.metadata.sorted_tables:
                query = select(table).order_by(*table.primary_key.columns)
                rows = [dict(row) for row in (await reading.execute(query)).mappings()]
                if rows:
                    await writing.execute(insert(table), rows)
    finally:
        await original.dispose()
        await copy.dispose()


def sqlite_path(url: str) -> Path | None:
    """The file of a SQLite ``url``; None for PostgreSQL or an in-memory database."""
    parsed = make_url(url)
    if parsed.get_backend_name() != "sqlite" or parsed.database in (None, "", ":memory:"):
        return None
    return Path(str(parsed.database))
