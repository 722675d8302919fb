"""Renderings of the hub kept in memory: rendered once per change, served from memory.

Every page, feed and JSON document under ``/status`` that reads the database is built
by a *source* (the front page, the feed, one incident) into its representations (the
front page's HTML and JSON; an incident's page, chart and JSON) and kept here. A
request is answered from memory; the database is read only when

- a publication reached the hub (``HubDestination`` → ``invalidate``, and once more when
  the delivery's record is committed, see ``Hub.published``): the next request renders
  again and waits for it, so a new statement shows at once;
- the rendering is older than ``refresh`` (the pages say "overdue" and keep the
  communication record "as of now"): it is served as it is while one render runs in the
  background, so a source is read at most once per ``refresh`` however many read it,
  and not at all when nobody does. Past twice that age (nobody read it for a while) the
  request waits for the new rendering instead.

Concurrent requests for one source share one render (single flight), and at most
``RENDERS_AT_ONCE`` renders run at once, so a flood of misses cannot crowd out the
commands sharing the database and the event loop.

When a render fails (the database is away) or takes longer than ``WAIT``, the last
rendering is served (the Cache-Control says ``stale-if-error``), never a 500, and the
source is not tried again for ``RETRY``. With no rendering at all the hub answers 503
("temporarily unavailable").

Replicas: each process keeps its own renderings. A publication delivered by another
replica reaches this one's pages at the next refresh, so within ``refresh`` (plus
``refresh`` when nobody read the page meanwhile).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections import OrderedDict
from collections.abc import Awaitable, Callable, Hashable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta

from bot.hub.caching import Representation
from commands import Clock

log = logging.getLogger("candor.hub")

Views = Mapping[str, Representation]  # a source's representations by name
Render = Callable[[], Awaitable[Views]]

RENDERS_AT_ONCE = 2
WAIT = 3.0  # seconds a request waits for a render when an older rendering can be served
FIRST_WAIT = 10.0  # ... and when nothing was ever rendered (then: 503)
RETRY = timedelta(seconds=5)  # after a failed render, the last rendering until then
KEPT = 2048  # sources kept (incidents read and ids asked for), least recently read dropped


@dataclass(frozen=True)
class Kept:
    views: Views
    rendered_at: datetime
    generation: int

    def age(self, now: datetime) -> int:
        return round((now - self.rendered_at).total_seconds())


@dataclass
class _Flight:
    generation: int
    task: asyncio.Task[Kept]


class RenderCache:
    def __init__(self, clock: Clock, refresh: timedelta) -> None:
        self.clock, self.refresh = clock, refresh
        self.generation = 0  # bumped by every publication: older renderings are out of date
        self._kept: OrderedDict[Hashable, Kept] = OrderedDict()
        self._flights: dict[Hashable, _Flight] = {}
        self._failed: dict[Hashable, datetime] = {}
        self._renders = asyncio.Semaphore(RENDERS_AT_ONCE)
        self.renders = 0  # how many renders ran (tests, logs)

    def invalidate(self) -> None:
        self.generation += 1

    async def get(self, key: Hashable, render: Render) -> Kept | None:
        """The rendering to serve for ``key``; None when there is none (→ 503)."""
        now = self.clock.now()
        kept = self._kept.get(key)
        if kept is not None:
            self._kept.move_to_end(key)
            if kept.generation == self.generation:
                age = now - kept.rendered_at
                if age < self.refresh:
                    return kept
                if age < 2 * self.refresh:  # stale-while-revalidate
                    if not self._resting(key, now):
                        self._start(key, render)
                    return kept
            if self._resting(key, now):
                return kept  # stale-if-error: the last try failed a moment ago
        flight = self._start(key, render)
        # Failed or slow: the flight logs it once; the last rendering (if any) is served.
        with contextlib.suppress(Exception):
            await asyncio.wait_for(asyncio.shield(flight.task), WAIT if kept else FIRST_WAIT)
        return self._kept.get(key, kept)

    def _resting(self, key: Hashable, now: datetime) -> bool:
        failed = self._failed.get(key)
        return failed is not None and now - failed < RETRY

    def _start(self, key: Hashable, render: Render) -> _Flight:
        flight = self._flights.get(key)
        if flight is not None and flight.generation == self.generation:
            return flight  # single flight: every request for this source waits on this one
        task = asyncio.create_task(self._run(key, render, self.generation))
        flight = _Flight(self.generation, task)
        self._flights[key] = flight
        flight.task.add_done_callback(lambda task: self._landed(key, flight, task))
        return flight

    async def _run(self, key: Hashable, render: Render, generation: int) -> Kept:
        async with self._renders:
            started = self.clock.now()
            views = await render()
        self.renders += 1
        previous = self._kept.get(key)
        if previous is not None and (previous.generation, previous.rendered_at) > (
            generation,
            started,
        ):
            return previous  # a newer render (after a publication) landed first
        if previous is not None:  # unchanged bytes keep their Last-Modified
            views = {name: rep.since(previous.views.get(name)) for name, rep in views.items()}
        kept = Kept(views, started, generation)
        self._kept[key] = kept
        self._kept.move_to_end(key)
        while len(self._kept) > KEPT:
            self._kept.popitem(last=False)
        return kept

    def _landed(self, key: Hashable, flight: _Flight, task: asyncio.Task[Kept]) -> None:
        if self._flights.get(key) is flight:
            del self._flights[key]
        if task.cancelled():
            return
        error = task.exception()
        if error is None:
            self._failed.pop(key, None)
            return
        if key not in self._failed:  # once per outage of this source, not per try
            kept = self._kept.get(key)
            served = f"the rendering of {kept.rendered_at:%H:%M:%S}" if kept else "503"
            log.warning("status hub: cannot render %s (%r); serving %s", key, error, served)
        self._failed[key] = self.clock.now()

    async def settled(self) -> None:
        """Until no render is running (tests)."""
        while self._flights:
            await asyncio.gather(
                *(f.task for f in list(self._flights.values())), return_exceptions=True
            )

    async def close(self) -> None:
        for flight in list(self._flights.values()):
            flight.task.cancel()
        await asyncio.gather(*(f.task for f in self._flights.values()), return_exceptions=True)
        self._flights.clear()
