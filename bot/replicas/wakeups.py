"""Followers tell the leader about new work; the leader looks at the database again.

A command handled by a follower may create work that is due at once (an approval
queues deliveries) or sooner than the leader's timer is set for. The follower's
timer does not run it: it sends ``NOTIFY candor_wake`` and the leader, which LISTENs
on its lock connection, re-arms from the database. Bursts are coalesced on both
sides (at most one message or re-arm in flight, plus one more if asked meanwhile),
and a lost message costs at most the leader's one-minute heartbeat.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from contextlib import suppress
from datetime import datetime

from sqlalchemy import text
from sqlalchemy.exc import SQLAlchemyError

from bot.replicas.leadership import WAKE_CHANNEL
from storage import Store

log = logging.getLogger("candor.leadership")


class Coalesced:
    """Runs an async function on request; requests made while it runs fold into one rerun."""

    def __init__(self, run: Callable[[], Awaitable[None]], what: str) -> None:
        self._run = run
        self._what = what
        self._task: asyncio.Task[None] | None = None
        self._again = False

    def __call__(self) -> None:
        if self._task is not None and not self._task.done():
            self._again = True
            return
        self._task = asyncio.create_task(self._loop(), name=f"candor-{self._what}")

    async def _loop(self) -> None:
        while True:
            self._again = False
            try:
                await self._run()
            except Exception as error:
                log.warning("%s failed: %s: %s", self._what, type(error).__name__, error)
            if not self._again:
                return

    async def close(self) -> None:
        if self._task is not None and not self._task.done():
            self._task.cancel()
            with suppress(asyncio.CancelledError):
                await self._task


class WakeLeader:
    """A follower timer's ``forward``: asks the leader to re-arm (NOTIFY)."""

    def __init__(self, store: Store) -> None:
        self._store = store
        self._send = Coalesced(self._notify, "wake the leader")

    def __call__(self, _when: datetime) -> None:
        self._send()

    async def _notify(self) -> None:
        await wake_leader(self._store)

    async def close(self) -> None:
        await self._send.close()


async def wake_leader(store: Store) -> None:
    """Ask the leading replica to look at the database again (PostgreSQL; else nothing).
    Best effort: if the message is lost, the leader's heartbeat finds the work anyway."""
    if store.dialect != "postgresql":
        return
    try:
        async with store.engine.connect() as connection:
            notify = text("SELECT pg_notify(:channel, '')")
            await connection.execute(notify, {"channel": WAKE_CHANNEL})
            await connection.commit()
    except (SQLAlchemyError, OSError) as error:
        log.warning("could not wake the leader (its heartbeat will find the work): %s", error)
