"""Destinations for outbox tests: one that fails a set number of times (or refuses),
one that logs when each send starts and ends."""

from __future__ import annotations

import asyncio
import contextlib
from dataclasses import dataclass, field

from commands.ports import DeliveryFailed, Publication


@dataclass
class FlakyDestination:
    """Fails ``failures`` times (retryably), then accepts; records what it accepted."""

    key: str = "test:flaky"
    label: str = "flaky receiver"
    failures: int = 0
    retryable: bool = True
    attempts: int = 0
    accepted: list[Publication] = field(default_factory=list)

    async def deliver(self, publication: Publication) -> str:
        self.attempts += 1
        if self.attempts <= self.failures:
            raise DeliveryFailed("receiver answered 503", retryable=self.retryable)
        self.accepted.append(publication)
        return f"ext-{len(self.accepted)}"


class Rendezvous:
    """Lets ``expected`` senders through only once all of them have arrived (bounded:
    after ``limit`` seconds it lets them through anyway, and the test sees no overlap)."""

    def __init__(self, expected: int, limit: float = 5.0) -> None:
        self.expected, self.limit = expected, limit
        self.arrived = 0
        self._all_here = asyncio.Event()

    async def meet(self) -> None:
        self.arrived += 1
        if self.arrived >= self.expected:
            self._all_here.set()
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._all_here.wait(), self.limit)


@dataclass
class LoggingDestination:
    """Accepts everything, noting when each publication starts and ends in a shared log;
    with a ``Rendezvous`` it finishes only once every peer has started one too."""

    key: str
    log: list[tuple[str, str, str]]  # (key, "start" | "end", statement ref)
    rendezvous: Rendezvous | None = None
    label: str = "logging receiver"

    async def deliver(self, publication: Publication) -> str:
        self.log.append((self.key, "start", publication.statement_ref))
        if self.rendezvous is not None:
            await self.rendezvous.meet()
        self.log.append((self.key, "end", publication.statement_ref))
        return f"{self.key}-{publication.statement_ref}"
