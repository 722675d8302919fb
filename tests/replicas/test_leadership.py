"""Leadership among replicas on one PostgreSQL: one leads, another takes over when it
stops or loses its lock connection, and a leader that lost its connection stops at
once. Events are awaited (callbacks set them), never slept for."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import pytest
from sqlalchemy import text

from bot.replicas.leadership import PostgresLeadership, connect_args
from storage import Store
from tests.conftest import PG_URL

pytestmark = pytest.mark.skipif(not PG_URL, reason="replicas share a PostgreSQL database")

FAST = 0.1  # seconds between tries: the tests run the real loop, only quicker


class Watched:
    """A leadership whose changes are recorded in one shared log and can be awaited."""

    def __init__(self, name: str, store: Store, log: list[str], changed: asyncio.Event) -> None:
        self.leadership = PostgresLeadership(name, connect_args(store.engine), interval=FAST)
        self.name = name
        self.log = log
        self.changed = changed
        self.elected = asyncio.Event()
        self.deposed = asyncio.Event()
        self.leadership.on_elected(self._on_elected)
        self.leadership.on_deposed(self._on_deposed)

    async def _on_elected(self) -> None:
        self.log.append(f"{self.name} elected")
        self.elected.set()
        self.changed.set()

    async def _on_deposed(self) -> None:
        self.log.append(f"{self.name} deposed")
        self.deposed.set()
        self.changed.set()


@asynccontextmanager
async def replicas(database_url: str, *names: str) -> AsyncIterator[list[Watched]]:
    store = Store(database_url)
    log: list[str] = []
    changed = asyncio.Event()
    watched = [Watched(name, store, log, changed) for name in names]
    try:
        for one in watched:
            await one.leadership.start()
        yield watched
    finally:
        for one in watched:
            await one.leadership.stop()
        await store.dispose()


async def _terminate(store: Store, application_name: str) -> int:
    """Cut a session as a database restart or a network cut would (server side)."""
    async with store.engine.connect() as connection:
        result = await connection.execute(
            text(
                "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity "
                "WHERE application_name = :name"
            ),
            {"name": application_name},
        )
        return int(result.scalar_one())


async def test_one_replica_leads_and_another_takes_over_when_it_stops(database_url: str) -> None:
    async with replicas(database_url, "a", "b", "c") as (a, b, c):
        assert a.leadership.is_leader  # the first to start leads at once
        assert not b.leadership.is_leader and not c.leadership.is_leader
        await a.leadership.stop()
        await asyncio.wait_for(_someone_leads(b, c), 10)
        leaders = [x.name for x in (a, b, c) if x.leadership.is_leader]
        assert len(leaders) == 1 and leaders[0] in ("b", "c")
        assert a.log[:2] == ["a elected", "a deposed"]
        assert a.log[2:] == [f"{leaders[0]} elected"]


async def test_a_leader_whose_lock_connection_is_cut_stops_leading_at_once(
    database_url: str,
) -> None:
    store = Store(database_url)
    try:
        async with replicas(database_url, "a", "b") as (a, b):
            assert a.leadership.is_leader
            assert await _terminate(store, "a:leadership") == 1
            await asyncio.wait_for(a.deposed.wait(), 5)  # told by the driver, no check needed
            await asyncio.wait_for(_someone_leads(a, b), 10)
            assert a.log[:2] == ["a elected", "a deposed"]
            assert sum(x.leadership.is_leader for x in (a, b)) == 1
    finally:
        await store.dispose()


async def test_followers_wait_while_the_database_is_away_and_lead_when_it_is_back(
    database_url: str,
) -> None:
    store = Store(database_url)
    try:
        async with replicas(database_url, "a", "b") as (a, b):
            for _ in range(3):  # every session cut, again and again
                await _terminate(store, "a:leadership")
                await _terminate(store, "b:leadership")
            await asyncio.wait_for(a.deposed.wait(), 5)
            await asyncio.wait_for(_someone_leads(a, b), 10)
            assert sum(x.leadership.is_leader for x in (a, b)) == 1
    finally:
        await store.dispose()


async def _someone_leads(*watched: Watched) -> None:
    changed = watched[0].changed
    while not any(x.leadership.is_leader for x in watched):
        changed.clear()
        await changed.wait()
