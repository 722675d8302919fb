"""The alarm clock: one APScheduler date job, always set for the earliest due work.

The database holds every reminder and delivery; this only wakes ``Desk.run_due``.
Nothing is kept in an APScheduler job store, so a restart loses nothing: the
desk re-arms from the database at start, and overdue work fires at once.

A heartbeat also wakes the desk every minute: work another process put in the
database (``candor deliveries retry``, a replica that died) is picked up without
waiting for the next command here.

Only the leading replica's timer runs (bot/replicas). A follower's timer is paused:
what it is asked to wake for goes to ``forward`` (the leader), and pausing a leader
that lost its lock cancels a run under way at once.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from contextlib import suppress
from datetime import UTC, datetime, timedelta

from apscheduler.schedulers.asyncio import AsyncIOScheduler

from commands import Clock
from storage.errors import connection_lost

log = logging.getLogger("candor.scheduler")
JOB_ID = "candor-run-due"
HEARTBEAT_ID = "candor-heartbeat"
HEARTBEAT = timedelta(minutes=1)
# After a failed run (the database restarting, a connection cut), try again soon, then
# less often: 1 s, 2 s, 4 s ... up to 30 s.
RETRY_FIRST, RETRY_MAX = 1.0, 30.0
STUCK_RETRY = 1.0  # work still due after a run that got nowhere is looked at again after this


class SchedulerTimer:
    def __init__(self, clock: Clock, forward: Callable[[datetime], None] | None = None) -> None:
        self._clock = clock
        self._forward = forward
        self._run_due: Callable[[], Awaitable[int | None]] | None = None
        self._scheduler = AsyncIOScheduler(timezone=UTC)
        self._running: set[asyncio.Task[object]] = set()
        self._stopping = False
        self._active = False
        self._failures = 0
        self._run: asyncio.Task[object] | None = None  # the run under way, if any
        self._again = False  # asked to run again (new work came in during the run)
        self._leftover = False  # the run's own re-arm found work still due

    @property
    def active(self) -> bool:
        return self._active

    @property
    def next_wake(self) -> datetime | None:
        """When the desk is next woken (wall time; the heartbeat at the latest), or None
        when nothing is armed: a follower, a stopped timer."""
        if not self._active or not self._scheduler.running:
            return None
        times = [job.next_run_time for job in self._scheduler.get_jobs()]
        upcoming = [when for when in times if when is not None]
        return min(upcoming) if upcoming else None

    def start(self, run_due: Callable[[], Awaitable[int | None]], *, active: bool = True) -> None:
        """Start the scheduler (needs the running event loop); it wakes ``run_due`` once
        active (at once by default; a replica waits until it leads)."""
        self._run_due = run_due
        self._scheduler.start()
        if active:
            self.resume()

    def resume(self) -> None:
        """Start waking the desk (this replica now leads)."""
        if self._stopping or self._active:
            return
        self._active = True
        self._scheduler.add_job(
            self._fire,
            "interval",
            seconds=HEARTBEAT.total_seconds(),
            id=HEARTBEAT_ID,
            replace_existing=True,
            coalesce=True,
            max_instances=2,  # a heartbeat during a run reaches _fire, which folds it in
        )

    async def pause(self) -> None:
        """Stop waking the desk at once, cancelling a run under way (leadership was lost:
        another replica may already be running the timers). Claims in the database
        keep anything from happening twice; an interrupted delivery is retried."""
        self._active = False
        for job_id in (JOB_ID, HEARTBEAT_ID):
            if self._scheduler.running and self._scheduler.get_job(job_id) is not None:
                self._scheduler.remove_job(job_id)
        running = [task for task in self._running if not task.done()]
        for task in running:
            task.cancel()
        for task in running:
            with suppress(asyncio.CancelledError, Exception):
                await task

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
        self._active = False
        self.shutdown()

    def wake_at(self, when: datetime) -> None:
        if self._stopping:
            return
        if not self._active:
            if self._forward is not None:
                self._forward(when)
            return
        # The desk's clock may be shifted (console rehearsal) or fake (tests); APScheduler
        # runs on wall time, so translate "due in N seconds by our clock" to wall time.
        delay = max(0.0, (when - self._clock.now()).total_seconds())
        if delay == 0 and self._run is not None:
            # Due now while a run is under way: that run goes round once more (a new job
            # would find it running). Its own re-arm asking means work is left over.
            if asyncio.current_task() is self._run:
                self._leftover = True
            else:
                self._again = True
            return
        self._schedule(datetime.now(UTC) + timedelta(seconds=delay))

    def _schedule(self, run_date: datetime) -> None:
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
            max_instances=2,  # a wake during a run reaches _fire, which folds it into the run
        )

    async def _fire(self) -> None:
        assert self._run_due is not None
        task = asyncio.current_task()
        if self._stopping or not self._active or task is None:
            return
        if self._run is not None:
            self._again = True
            return
        self._run = task
        self._running.add(task)
        try:
            await self._rounds()
        except asyncio.CancelledError:
            if self._active or self._stopping:
                raise
            log.info("run_due interrupted: this replica stopped leading")  # by pause()
        except Exception as error:
            delay = min(RETRY_MAX, RETRY_FIRST * 2**self._failures)
            self._failures += 1
            if connection_lost(error):
                log.warning("run_due: database unreachable (%s); retrying in %.0f s", error, delay)
            else:
                log.exception("run_due failed; retrying in %.0f s", delay)
            self._schedule(datetime.now(UTC) + timedelta(seconds=delay))
        finally:
            self._run = None
            self._running.discard(task)

    async def _rounds(self) -> None:
        """Run the desk until nothing new is due: again when asked during the run, or when
        it left work over after making progress (a backlog bigger than one run's batch).
        Work that stays due without progress (a failing reminder) waits, never spins."""
        assert self._run_due is not None
        while True:
            self._again = self._leftover = False
            handled = await self._run_due()
            self._failures = 0
            progress = handled is None or handled > 0
            if self._again or (self._leftover and progress):
                continue
            if self._leftover:
                self._schedule(datetime.now(UTC) + timedelta(seconds=STUCK_RETRY))
            return
