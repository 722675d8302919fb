"""Which replica leads: the one that runs the timers (reminders, deliveries) and holds
the connections only one process may hold (Discord's gateway).

Any number of replicas share one PostgreSQL and serve requests; exactly one leads.
Leadership is a PostgreSQL session advisory lock held on a dedicated connection:
nothing home-made, and a leader that dies (kill -9, a lost machine) loses it as soon
as PostgreSQL sees its connection close. Followers try to take it every couple of
seconds. A leader checks its lock connection on the same rhythm and steps down at
once when the connection is lost (the database restarted, a network cut): it may no
longer hold the lock, so it stops its timers before anyone else could start theirs.

Leadership is an efficiency, not the safety net: every reminder and delivery is
claimed atomically in the database, so even two leaders for a moment (a partitioned
leader that has not noticed yet) fire nothing twice.

SQLite is single-process (bot/replicas/process_lock.py): its one process always leads.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from contextlib import suppress
from typing import Any

import asyncpg  # type: ignore[import-untyped]
from sqlalchemy.ext.asyncio import AsyncEngine

log = logging.getLogger("candor.leadership")

Callback = Callable[[], Awaitable[None]]

# One timer leader per database (advisory locks are scoped to the current database).
LOCK_KEY = 0x43414E444F52  # "CANDOR"
WAKE_CHANNEL = "candor_wake"
CHECK_EVERY = 2.0  # seconds between a follower's tries, and between a leader's checks
CHECK_TIMEOUT = 2.0  # a check slower than this counts as a lost connection
CONNECT_TIMEOUT = 5.0
# A partitioned leader's session (the server never hears the TCP connection close)
# is ended by the server once it has been silent this long, which frees the lock.
IDLE_SESSION_TIMEOUT = "10s"
LOCK_SESSION_SETTINGS = {
    "tcp_keepalives_idle": "5",
    "tcp_keepalives_interval": "2",
    "tcp_keepalives_count": "3",
}
LOST = (OSError, TimeoutError, asyncpg.PostgresError, asyncpg.InterfaceError)


class Leadership:
    """The leader/follower state of this replica, and what to do on each change.

    ``on_elected`` callbacks run in the order they were added, ``on_deposed`` ones in
    reverse (last started, first stopped). Callbacks should return quickly: start
    long-lived work (a gateway connection) as a task. A failing callback is logged and
    does not stop the others."""

    def __init__(self, name: str) -> None:
        self.name = name
        self.is_leader = False
        self.elections = 0  # how many times this replica became leader
        self._elected: list[Callback] = []
        self._deposed: list[Callback] = []
        self._wakes: list[Callable[[], None]] = []

    def on_elected(self, callback: Callback) -> None:
        self._elected.append(callback)

    def on_deposed(self, callback: Callback) -> None:
        self._deposed.append(callback)

    def on_wake(self, callback: Callable[[], None]) -> None:
        """Called on the leader when a follower asks it to look at the database again."""
        self._wakes.append(callback)

    async def start(self) -> None:
        raise NotImplementedError

    async def stop(self) -> None:
        await self._step_down("stopping")

    async def _become_leader(self) -> None:
        self.is_leader = True
        self.elections += 1
        log.info("replica %s leads: it runs the timers", self.name)
        for callback in self._elected:
            await _guarded(callback, "on_elected")

    async def _step_down(self, why: str) -> None:
        if not self.is_leader:
            return
        self.is_leader = False
        level = logging.INFO if why == "stopping" else logging.WARNING
        log.log(level, "replica %s no longer leads (%s)", self.name, why)
        for callback in reversed(self._deposed):
            await _guarded(callback, "on_deposed")

    def _wake(self) -> None:
        for callback in self._wakes:
            callback()


async def _guarded(callback: Callback, what: str) -> None:
    try:
        await callback()
    except Exception:
        log.exception("leadership %s callback failed", what)


class SoleLeadership(Leadership):
    """The only process on its database (SQLite): it leads from start to stop."""

    async def start(self) -> None:
        await self._become_leader()


class PostgresLeadership(Leadership):
    """Leadership by ``pg_try_advisory_lock`` on a connection of its own."""

    def __init__(
        self,
        name: str,
        connect_args: dict[str, Any],
        *,
        interval: float = CHECK_EVERY,
        lock_key: int = LOCK_KEY,
    ) -> None:
        super().__init__(name)
        self._connect_args = connect_args
        self._interval = interval
        self._lock_key = lock_key
        self._connection: asyncpg.Connection | None = None
        self._lost = asyncio.Event()
        self._task: asyncio.Task[None] | None = None

    async def start(self) -> None:
        """Try once at once (a lone replica leads before this returns), then keep trying."""
        await self._attempt()
        self._task = asyncio.create_task(self._run(), name="candor-leadership")

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with suppress(asyncio.CancelledError):
                await self._task
        await self._step_down("stopping")
        connection, self._connection = self._connection, None
        if connection is not None:  # closing the session releases the lock
            try:
                await asyncio.wait_for(connection.close(), CHECK_TIMEOUT)
            except (*LOST, asyncio.CancelledError):
                connection.terminate()

    async def _run(self) -> None:
        while True:
            with suppress(TimeoutError):
                await asyncio.wait_for(self._lost.wait(), self._interval)
            await self._attempt()

    async def _attempt(self) -> None:
        self._lost.clear()
        try:
            if self.is_leader:
                await self._check()
            else:
                await self._try_to_lead()
        except LOST as error:
            await self._drop(f"{type(error).__name__}: {error}".rstrip(": "))

    async def _check(self) -> None:
        connection = self._connection
        if connection is None or connection.is_closed():
            raise ConnectionError("the lock connection closed")
        await asyncio.wait_for(connection.fetchval("SELECT 1"), CHECK_TIMEOUT)

    async def _try_to_lead(self) -> None:
        connection = await self._connect()
        query = connection.fetchval("SELECT pg_try_advisory_lock($1)", self._lock_key)
        if await asyncio.wait_for(query, CHECK_TIMEOUT):
            await connection.add_listener(WAKE_CHANNEL, self._notified)
            await self._become_leader()

    async def _connect(self) -> asyncpg.Connection:
        if self._connection is not None and not self._connection.is_closed():
            return self._connection
        settings = dict(self._connect_args.get("server_settings") or {})
        settings.update(LOCK_SESSION_SETTINGS, application_name=f"{self.name}:leadership")
        args = {**self._connect_args, "server_settings": settings, "timeout": CONNECT_TIMEOUT}
        connection = await asyncpg.connect(**args)
        with suppress(asyncpg.PostgresError):  # PostgreSQL 14+; older servers rely on keepalives
            await connection.execute(f"SET idle_session_timeout = '{IDLE_SESSION_TIMEOUT}'")
        connection.add_termination_listener(lambda _connection: self._lost.set())
        self._connection = connection
        return connection

    async def _drop(self, why: str) -> None:
        """The lock connection is gone or failing: forget it, and stop leading at once."""
        connection, self._connection = self._connection, None
        if connection is not None:
            connection.terminate()
        if self.is_leader:
            await self._step_down(f"lock connection lost: {why}")
        else:
            log.debug("replica %s cannot reach the database to lead: %s", self.name, why)

    def _notified(self, *_args: object) -> None:
        self._wake()


def connect_args(engine: AsyncEngine) -> dict[str, Any]:
    """asyncpg.connect() arguments for the database an engine uses (same URL, same options)."""
    _, options = engine.dialect.create_connect_args(engine.url)
    for only_sqlalchemy in ("prepared_statement_cache_size", "prepared_statement_name_func"):
        options.pop(only_sqlalchemy, None)
    return dict(options)
