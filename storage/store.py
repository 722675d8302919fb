"""The async Store: engine, sessions and the unit of work.

One command is one unit of work: everything it writes commits together or not
at all. On SQLite, units of work that write are serialised in-process (SQLite
has one writer anyway, and serialising here avoids ``database is locked``
upgrades); PostgreSQL relies on row locks taken by the repositories, and runs a
few units of work at once per process.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from contextvars import ContextVar
from typing import Any

from sqlalchemy import event, text
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncEngine, async_sessionmaker, create_async_engine
from sqlalchemy.pool import StaticPool
from sqlmodel.ext.asyncio.session import AsyncSession

from storage.migrate import upgrade_connection
from storage.repos import UnitOfWork

AfterCommit = Callable[[], Awaitable[None]]
POOL_SIZE = 10  # PostgreSQL connections kept per process
CONCURRENT_UNITS_OF_WORK = 4  # PostgreSQL transactions at once per process

# Set while the current task holds a write transaction. A platform call made then would
# keep SQLite's one writer (or a PostgreSQL row lock) for as long as the platform takes
# to answer; the test fakes refuse such calls, so the suite finds any that creep in.
_WRITING: ContextVar[bool] = ContextVar("candor_writing", default=False)


def in_unit_of_work() -> bool:
    """Whether the calling task is inside ``Store.unit_of_work`` (a write transaction)."""
    return _WRITING.get()


def _sqlite_on_connect(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.close()


def create_engine(url: str, application_name: str | None = None) -> AsyncEngine:
    """Build an async engine with the settings each dialect needs. On PostgreSQL the
    connections carry ``application_name`` (which replica they belong to, in
    ``pg_stat_activity``), and every connection is checked before use, so a restarted
    database costs one reconnect instead of a failed command."""
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        in_memory = parsed.database in (None, "", ":memory:")
        engine = create_async_engine(
            url,
            hide_parameters=True,  # bound values (secrets among them) stay out of logs
            connect_args={"timeout": 30},
            poolclass=StaticPool if in_memory else None,
        )
        event.listen(engine.sync_engine, "connect", _sqlite_on_connect)
        return engine
    server_settings = {"application_name": application_name} if application_name else {}
    return create_async_engine(
        url,
        hide_parameters=True,
        pool_pre_ping=True,
        pool_size=POOL_SIZE,
        max_overflow=10,
        connect_args={"server_settings": server_settings} if server_settings else {},
    )


class Store:
    """Owns the engine; hands out units of work."""

    def __init__(self, url: str, *, name: str | None = None) -> None:
        self.url = url
        self.engine = create_engine(url, application_name=name)
        self.dialect = self.engine.dialect.name
        self._sessions = async_sessionmaker(
            self.engine, class_=AsyncSession, expire_on_commit=False
        )
        # SQLite: one writer. PostgreSQL: a few units of work at once. More would not
        # finish sooner on a small machine: their Python work would crowd the event loop
        # and keep requests waiting for their acknowledgement (bench/ack.py).
        self._writers = asyncio.Semaphore(
            1 if self.dialect == "sqlite" else CONCURRENT_UNITS_OF_WORK
        )
        # One shared connection (in-memory SQLite) cannot read beside a writer.
        self._shared_connection = isinstance(self.engine.pool, StaticPool)

    @asynccontextmanager
    async def unit_of_work(self) -> AsyncIterator[UnitOfWork]:
        """A transaction: commit on success, roll back on any error.

        Callbacks registered with ``uow.after_commit`` run once the commit has
        succeeded (posting to chat, waking the timer): side effects never
        announce something the database did not keep.
        """
        await self._writers.acquire()
        uow: UnitOfWork | None = None
        writing = _WRITING.set(True)
        try:
            async with self._sessions() as session, session.begin():
                uow = UnitOfWork(session)
                yield uow
            callbacks = uow.pending_after_commit()
        except Exception:
            _WRITING.reset(writing)
            undo = uow.pending_on_rollback() if uow is not None else []
            self._writers.release()
            for callback in undo:  # what the work did outside the database (a channel made)
                await callback()
            raise
        except BaseException:  # cancelled (a deadline, a stop): the writer slot is given back
            _WRITING.reset(writing)
            self._writers.release()
            raise
        else:
            _WRITING.reset(writing)
            self._writers.release()
        for callback in callbacks:
            await callback()

    @asynccontextmanager
    async def reading(self) -> AsyncIterator[UnitOfWork]:
        """A read-only look that never waits for the SQLite writer lock: in WAL mode
        readers run beside the one writer, so status-page views and timer look-ups
        do not queue behind commands. Nothing done here is committed."""
        if self._shared_connection:
            async with self.unit_of_work() as uow:
                yield uow
            return
        # Closing the session returns the connection to the pool, which rolls it back;
        # rows already loaded stay readable (an explicit rollback would expire them).
        async with self._sessions() as session:
            yield UnitOfWork(session)

    async def migrate(self) -> None:
        """Bring the schema to the newest Alembic revision."""
        async with self.engine.begin() as connection:
            await connection.run_sync(upgrade_connection)

    async def ping(self) -> None:
        """``SELECT 1`` on a connection of its own; raises when the database cannot be reached."""
        async with self.engine.connect() as connection:
            await connection.execute(text("SELECT 1"))

    async def dispose(self) -> None:
        await self.engine.dispose()
