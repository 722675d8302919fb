"""Assembles this process's part among replicas: the SQLite process lock or PostgreSQL
leadership, and the timer that runs only while this process leads."""

from __future__ import annotations

import logging

from bot.replicas.leadership import (
    Leadership,
    PostgresLeadership,
    SoleLeadership,
    connect_args,
)
from bot.replicas.process_lock import ProcessLock, lock_sqlite
from bot.replicas.wakeups import Coalesced, WakeLeader
from bot.scheduler import SchedulerTimer
from commands import Clock, Desk
from storage import Store

log = logging.getLogger("candor.leadership")


class Replicas:
    """Build before the desk (the desk needs ``timer``); ``lock()`` before touching a
    SQLite file; ``start(desk)`` once the desk exists; ``stop()`` last of all.

    Anything only the leader may run (a gateway connection) registers with
    ``leadership.on_elected`` / ``on_deposed`` before ``start``."""

    def __init__(self, name: str, store: Store, clock: Clock) -> None:
        self.name = name
        self._store = store
        self._lock: ProcessLock | None = None
        self._wake_leader: WakeLeader | None = None
        self._rearm: Coalesced | None = None
        if store.dialect == "postgresql":
            self.leadership: Leadership = PostgresLeadership(name, connect_args(store.engine))
            self._wake_leader = WakeLeader(store)
        else:
            self.leadership = SoleLeadership(name)
        self.timer = SchedulerTimer(clock, forward=self._wake_leader)

    def lock(self) -> None:
        """SQLite: refuse to run beside another process on the same file (AlreadyRunning)."""
        self._lock = lock_sqlite(self._store.url)

    async def start(self, desk: Desk) -> None:
        """Start the (paused) timer and stand for leadership; the leader re-arms from the
        database on election, and again whenever a follower asks it to."""
        self.timer.start(desk.run_due, active=False)
        self._rearm = Coalesced(desk.rearm, "re-arm for a follower")
        self.leadership.on_wake(self._rearm)

        async def lead() -> None:
            self.timer.resume()
            await desk.start()

        async def step_down() -> None:  # another replica may be delivering already
            await self.timer.pause()
            await desk.stop()

        self.leadership.on_elected(lead)
        self.leadership.on_deposed(step_down)
        await self.leadership.start()

    async def stop(self) -> None:
        await self.timer.stop()
        await self.leadership.stop()
        for task in (self._rearm, self._wake_leader):
            if task is not None:
                await task.close()
        if self._lock is not None:
            self._lock.release()
            self._lock = None
