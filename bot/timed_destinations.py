"""Delivery timing without the core knowing: the composition root wraps each
``Destination`` so every attempt is measured (bot/metrics.py, per destination kind).

A wrapper answers like the destination it wraps: ``key``, ``label``, ``deliver``,
``amend`` where the destination has it (the ``Amendable`` check looks for the method
itself), and any other attribute the outbox reads (``timeout``, ``concurrency``).
"""

from __future__ import annotations

import time
from collections.abc import Mapping
from typing import Protocol

from commands import Amendable, DeliveryFailed, Destination, Publication


class Recorder(Protocol):
    def delivered(self, key: str, seconds: float, outcome: str) -> None: ...

    def expect_destination(self, key: str) -> None: ...


class TimedDestination:
    def __init__(self, inner: Destination, recorder: Recorder) -> None:
        self._inner = inner
        self._recorder = recorder
        self.key = inner.key
        self.label = inner.label

    @property
    def wrapped(self) -> Destination:
        return self._inner

    def __getattr__(self, name: str) -> object:  # only for what is not defined here
        if name.startswith("__") or name == "_inner":
            raise AttributeError(name)
        return getattr(self._inner, name)

    async def deliver(self, publication: Publication) -> str:
        started = time.perf_counter()
        outcome = "cancelled"  # a deadline or a lost lease ended the attempt
        try:
            external_id = await self._inner.deliver(publication)
            outcome = "sent"
            return external_id
        except DeliveryFailed:
            outcome = "failed"
            raise
        except Exception:
            outcome = "error"
            raise
        finally:
            self._recorder.delivered(self.key, time.perf_counter() - started, outcome)


class TimedAmendableDestination(TimedDestination):
    async def amend(self, publication: Publication, original_external_id: str) -> None:
        inner = self.wrapped
        assert isinstance(inner, Amendable)
        await inner.amend(publication, original_external_id)


def timed(destination: Destination, recorder: Recorder) -> Destination:
    recorder.expect_destination(destination.key)
    if isinstance(destination, Amendable):
        return TimedAmendableDestination(destination, recorder)
    return TimedDestination(destination, recorder)


def timed_all(
    destinations: Mapping[str, Destination], recorder: Recorder
) -> dict[str, Destination]:
    """The same destinations in the same order (the first is served first), each timed."""
    return {key: timed(destination, recorder) for key, destination in destinations.items()}
