"""The alarm clock: one APScheduler date job, always set for the earliest due work.

The database holds every reminder and delivery; this only wakes ``Desk.run_due``.
Nothing is kept in an APScheduler job store, so a restart loses nothing: the
desk re-arms from the database at start, and overdue work fires at once.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta

from apscheduler.schedulers.asyncio import AsyncIOScheduler

from commands.clock import Clock

log = logging.getLogger("candor.scheduler")
JOB_ID = "candor-run-due"


class SchedulerTimer:
    def __init__(self, clock: Clock) -> None:
        self._clock = clock
        self._run_due: Callable[[], Awaitable[None]] | None = None
        self._scheduler = AsyncIOScheduler(timezone=UTC)

    def start(self, run_due: Callable[[], Awaitable[None]]) -> None:
        """Start waking ``run_due`` (needs the running event loop)."""
        self._run_due = run_due
        self._scheduler.start()

    def shutdown(self) -> None:
        if self._scheduler.running:
            self._scheduler.shutdown(wait=False)

    def wake_at(self, when: datetime) -> None:
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
        try:
            await self._run_due()
        except Exception:
            log.exception("run_due failed; retrying in 30 s")
            self.wake_at(self._clock.now() + timedelta(seconds=30))
