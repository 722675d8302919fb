"""The alarm clock: one APScheduler date job, always set for the earliest due work.

The database holds every reminder and delivery; this only wakes ``Desk.run_due``.
Nothing is kept in an APScheduler job store, so a restart loses nothing: the
desk re-arms from the database at start, and overdue work fires at once.

A heartbeat also wakes the desk every minute: work another process put in the
database (``candor deliveries retry``, a replica that died) is picked up without
waiting for the next command here.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta

from apscheduler.schedulers.asyncio import AsyncIOScheduler

from commands.clock import Clock

log = logging.getLogger("candor.scheduler")
JOB_ID = "candor-run-due"
HEARTBEAT_ID = "candor-heartbeat"
HEARTBEAT = timedelta(minutes=1)


class SchedulerTimer:
    def __init__(self, clock: Clock) -> None:
        self._clock = clock
        self._run_due: Callable[[], Awaitable[None]] | None = None
        self._scheduler = AsyncIOScheduler(timezone=UTC)
        self._running: set[asyncio.Task[object]] = set()
        self._stopping = False

    def start(self, run_due: Callable[[], Awaitable[None]]) -> None:
        """Start waking ``run_due`` (needs the running event loop)."""
        self._run_due = run_due
        self._scheduler.start()
        self._scheduler.add_job(
            self._fire,
            "interval",
            seconds=HEARTBEAT.total_seconds(),
            id=HEARTBEAT_ID,
            replace_existing=True,
            coalesce=True,
            max_instances=1,
        )

    def shutdown(self) -> None:
        if self._scheduler.running:
            self._scheduler.shutdown(wait=False)

    async def stop(self, grace: float = 10.0) -> None:
        """Stop waking the desk, letting a run already under way finish first (bounded):
        APScheduler's shutdown cancels it, and a query cancelled just before the engine
        is disposed can leave an aiosqlite connection that never closes (a hung exit)."""
        self._stopping = True
        running = [task for task in self._running if not task.done()]
        if running:
            await asyncio.wait(running, timeout=grace)
        self.shutdown()

    def wake_at(self, when: datetime) -> None:
        if self._stopping:
            return
        # The desk's clock may be shifted (console rehearsal) or fake (tests); APScheduler
        # runs on wall time, so translate "due in N seconds by our clock" to wall time.
        delay = max(0.0, (when - self._clock.now()).total_seconds())
        run_date = datetime.now(UTC) + timedelta(seconds=delay)
        job = self._scheduler.get_job(JOB_ID)
        if job is not None and job.next_run_time is not None and job.next_run_time <= run_date:
            return
        self._scheduler.add_job(
            self._fire,
            "date",
            run_date=run_date,
            id=JOB_ID,
            replace_existing=True,
            misfire_grace_time=None,
            coalesce=True,
        )

    async def _fire(self) -> None:
        assert self._run_due is not None
        task = asyncio.current_task()
        if self._stopping or task is None:
            return
        self._running.add(task)
        try:
            await self._run_due()
        except Exception:
            log.exception("run_due failed; retrying in 30 s")
            self.wake_at(self._clock.now() + timedelta(seconds=30))
        finally:
            self._running.discard(task)
