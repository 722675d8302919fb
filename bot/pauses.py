"""Stops of the event loop, seen from inside: how late the loop wakes, and how long the
garbage collector holds everything.

Start-up leaves ~155,000 long-lived objects (SQLAlchemy mappers, bolt, discord.py,
pydantic models). Every full collection walked all of them: an 85–170 ms stop of the
event loop, early in the bot's life and then about every 35 s under traffic, while acks
and answers waited. ``freeze_startup`` moves what start-up built into the permanent
generation, where the collector no longer looks; what commands leave behind is young
and cheap to collect.

``PauseWatch`` measures both in production, as Prometheus histograms on the internal
listener: ``candor_event_loop_lag_seconds`` (a probe that asks to wake every
``PROBE_EVERY`` and records how late it did) and ``candor_gc_pause_seconds`` per
generation (``gc.callbacks``).
"""

from __future__ import annotations

import asyncio
import gc
import time
from contextlib import suppress
from typing import Any

from prometheus_client import CollectorRegistry, Histogram

PROBE_EVERY = 0.1  # seconds between loop-lag probes: ten wake-ups a second cost nothing
LAG_BUCKETS = (0.001, 0.005, 0.01, 0.02, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5)
GC_BUCKETS = (0.0005, 0.001, 0.005, 0.01, 0.02, 0.05, 0.1, 0.25, 0.5)


def freeze_startup() -> int:
    """Collect once, then leave everything alive now out of future collections. Returns
    how many objects were frozen (reported in the start-up log)."""
    gc.collect()
    gc.freeze()
    return gc.get_freeze_count()


class PauseWatch:
    def __init__(self, registry: CollectorRegistry) -> None:
        self.loop_lag = Histogram(
            "candor_event_loop_lag_seconds",
            f"How late the event loop woke a probe that asked every {PROBE_EVERY:g} s.",
            buckets=LAG_BUCKETS,
            registry=registry,
        )
        self.gc_pause = Histogram(
            "candor_gc_pause_seconds",
            "Each garbage collection's stop of the whole process, per generation.",
            ["generation"],
            buckets=GC_BUCKETS,
            registry=registry,
        )
        for generation in ("0", "1", "2"):
            self.gc_pause.labels(generation=generation)
        self._probe: asyncio.Task[None] | None = None
        self._collecting_since = 0.0

    def start(self) -> None:
        if self._probe is None:
            self._probe = asyncio.get_running_loop().create_task(self._probe_loop())
            gc.callbacks.append(self._on_gc)

    async def stop(self) -> None:
        if self._on_gc in gc.callbacks:
            gc.callbacks.remove(self._on_gc)
        if self._probe is not None:
            self._probe.cancel()
            with suppress(asyncio.CancelledError):
                await self._probe
            self._probe = None

    async def _probe_loop(self) -> None:
        loop = asyncio.get_running_loop()
        while True:
            asked = loop.time()
            await asyncio.sleep(PROBE_EVERY)
            self.loop_lag.observe(max(0.0, loop.time() - asked - PROBE_EVERY))

    def _on_gc(self, phase: str, info: dict[str, Any]) -> None:
        if phase == "start":
            self._collecting_since = time.perf_counter()
        elif self._collecting_since:
            took = time.perf_counter() - self._collecting_since
            self._collecting_since = 0.0
            self.gc_pause.labels(generation=str(info.get("generation", "?"))).observe(took)
