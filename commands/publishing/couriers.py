"""Couriers: one long-lived worker per destination, each with its own queue and pace.

``Desk.run_due`` hands the due deliveries to their destination's courier and
returns at once, so the timer is free for the next statement however slow a
destination is. A courier serves its deliveries for one incident one after another,
oldest first (a reader sees S1 before S2), and different incidents' at the same time,
up to the destination's ``concurrency``. A slow or hanging destination holds up its
own courier only, and each attempt there ends at the destination's ``timeout``
(``attempts.guarded``).

A courier only sends what it is handed; the claim, the lease and the record (in
``outbox``) still decide in the database who sends what, across replicas. What a
courier holds is queued here, not claimed: a courier that stops (a deposed leader, a
shut-down) leaves its queue pending for whoever runs the timers next, and an attempt
it cancels mid-send is taken back when its lease runs out.
"""

from __future__ import annotations

import asyncio
import bisect
import logging
from collections.abc import Awaitable, Callable
from contextlib import suppress

from storage.errors import connection_lost

log = logging.getLogger("candor.outbox")

Attempt = Callable[[int], Awaitable[object]]  # send one delivery (claim, send, record)
Settled = Callable[[str], Awaitable[None]]  # after each attempt at the destination ``key``


class Couriers:
    """Every destination's courier, made when it is first handed something."""

    def __init__(self, attempt: Attempt, settled: Settled) -> None:
        self._attempt, self._settled = attempt, settled
        self._couriers: dict[str, _Courier] = {}
        self._held: set[int] = set()  # handed, not yet attempted (or being attempted)
        self._idle = asyncio.Event()
        self._idle.set()
        self._stopping = False
        self._settling = 0  # attempts over whose follow-up (re-arm, hand-out) is under way

    @property
    def held(self) -> frozenset[int]:
        return frozenset(self._held)

    @property
    def busy(self) -> bool:
        """Something handed out is still being attempted (or followed up)."""
        return not self._idle.is_set()

    def hand(self, key: str, lane: int, delivery_id: int, concurrency: int) -> bool:
        """Queue ``delivery_id`` for ``key`` in ``lane`` (its incident); False when it is
        already here (or the couriers are stopping)."""
        if self._stopping or delivery_id in self._held:
            return False
        courier = self._couriers.get(key)
        if courier is None:
            courier = self._couriers[key] = _Courier(key, concurrency, self._serve)
        self._held.add(delivery_id)
        self._idle.clear()
        courier.add(lane, delivery_id)
        return True

    async def idle(self) -> None:
        """Wait until everything handed so far (and what that led to) has been attempted."""
        await self._idle.wait()

    async def stop(self, grace: float = 0.0) -> None:
        """Stop every courier: attempts under way get ``grace`` seconds to finish, then
        are cancelled; queued deliveries stay pending in the database. Couriers are made
        again when something is next handed (a replica elected again)."""
        self._stopping = True
        couriers, self._couriers = list(self._couriers.values()), {}
        try:
            for courier in couriers:
                courier.closing = True
            if grace > 0:
                calm = [asyncio.create_task(c.calm.wait()) for c in couriers]
                if calm:
                    _, late = await asyncio.wait(calm, timeout=grace)
                    for waiting in late:
                        waiting.cancel()
            await asyncio.gather(*(courier.cancel() for courier in couriers))
        finally:
            self._held.clear()
            self._settling = 0
            self._idle.set()
            self._stopping = False

    async def _serve(self, key: str, delivery_id: int) -> None:
        self._settling += 1  # idle only once what this attempt leads to is handed out too
        try:
            try:
                await self._attempt(delivery_id)
            except Exception as error:  # it stays due, and is retried
                _failed(f"delivery {delivery_id} could not be attempted", error)
            self._held.discard(delivery_id)  # settled: the timer must see its retry time
            try:
                await self._settled(key)
            except Exception as error:
                _failed(f"after delivery {delivery_id}", error)
        finally:
            self._held.discard(delivery_id)
            self._settling -= 1
            if not self._held and not self._settling:
                self._idle.set()


class _Courier:
    """One destination's queue: a lane per incident, served by ``concurrency`` workers,
    each taking one lane at a time and its deliveries in order."""

    def __init__(
        self, key: str, concurrency: int, serve: Callable[[str, int], Awaitable[None]]
    ) -> None:
        self.key, self._serve = key, serve
        self.closing = False
        self.calm = asyncio.Event()  # set while no attempt is under way
        self.calm.set()
        self._busy = 0
        self._lanes: dict[int, list[int]] = {}
        self._ready: asyncio.Queue[int] = asyncio.Queue()
        self._workers = [asyncio.create_task(self._work()) for _ in range(max(1, concurrency))]

    def add(self, lane: int, delivery_id: int) -> None:
        queued = self._lanes.get(lane)
        if queued is None:
            self._lanes[lane] = [delivery_id]
            self._ready.put_nowait(lane)
        else:
            bisect.insort(queued, delivery_id)

    async def _work(self) -> None:
        while not self.closing:
            lane = await self._ready.get()
            queued = self._lanes[lane]
            try:
                while queued and not self.closing:
                    await self._one(queued.pop(0))
            finally:
                del self._lanes[lane]

    async def _one(self, delivery_id: int) -> None:
        self._busy += 1
        self.calm.clear()
        try:
            await self._serve(self.key, delivery_id)
        finally:
            self._busy -= 1
            if self._busy == 0:
                self.calm.set()

    async def cancel(self) -> None:
        for worker in self._workers:
            worker.cancel()
        for worker in self._workers:
            with suppress(asyncio.CancelledError):
                await worker


def _failed(what: str, error: Exception) -> None:
    """A database restart is expected and passing: one line. Anything else is a bug."""
    if connection_lost(error):
        log.warning(
            "%s: the database is unreachable (%s); retried later", what, type(error).__name__
        )
    else:
        log.exception("%s", what)
