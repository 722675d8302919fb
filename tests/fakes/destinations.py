"""Destinations for outbox tests: one that fails a set number of times, one that refuses."""

from __future__ import annotations

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
