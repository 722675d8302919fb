"""Health: a bare up/down for the public port, the details for the internal listener.

The public answer names nothing about the host (no replica name, no pid: the default
replica name is the host name and pid). The detailed answer is for operators: which
replica this is, whether it leads, whether its timer is armed, how many deliveries
wait, and whether the database is reachable *and* takes a write. A full disk or a
read-only database still answers ``SELECT 1``; only a write shows it, so each detailed
check upserts one row (``processed_events`` key ``health:<replica>``; the daily purge
of old event keys never meets it, as each check renews it).
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from bot.replicas.leadership import Leadership
from bot.scheduler import SchedulerTimer
from commands import Clock, redact_urls
from storage import DeliveryState, Store

log = logging.getLogger("candor.health")

PROBE_TIMEOUT = 5.0  # a database that does not answer within this is "not reachable"
HEALTH_KEY = "health:"
WAITING = (DeliveryState.PENDING, DeliveryState.SENDING)


async def database_answers(store: Store) -> bool:
    """The public check: can this process reach its database at all."""
    try:
        async with asyncio.timeout(PROBE_TIMEOUT):
            await store.ping()
    except Exception:
        return False
    return True


@dataclass
class Probe:
    """What one detailed check found; ``status`` is "ok" or "degraded"."""

    replica: str
    leader: bool
    database: dict[str, Any] = field(default_factory=dict)
    timer: dict[str, Any] = field(default_factory=dict)
    deliveries: dict[str, Any] = field(default_factory=dict)
    problems: list[str] = field(default_factory=list)

    @property
    def status(self) -> str:
        return "degraded" if self.problems else "ok"

    @property
    def http_status(self) -> int:
        return 503 if self.problems else 200

    def body(self) -> dict[str, Any]:
        return {
            "status": self.status,
            "problems": self.problems,
            "replica": self.replica,
            "role": "leader" if self.leader else "follower",
            "leader": self.leader,
            "database": self.database,
            "timer": self.timer,
            "deliveries": self.deliveries,
        }


async def check(
    store: Store,
    clock: Clock,
    leadership: Leadership,
    timer: SchedulerTimer,
) -> Probe:
    probe = Probe(replica=leadership.name, leader=leadership.is_leader)
    probe.database = {"dialect": store.dialect, "reachable": False, "writable": False}
    try:
        async with asyncio.timeout(PROBE_TIMEOUT):
            probe.deliveries = await _deliveries(store, clock.now())
        probe.database["reachable"] = True
    except Exception as error:
        probe.database["error"] = _describe(error)
        probe.problems.append("database unreachable")
    if probe.database["reachable"]:
        try:
            async with asyncio.timeout(PROBE_TIMEOUT):
                await _write(store, leadership.name, clock.now())
            probe.database["writable"] = True
        except Exception as error:
            probe.database["error"] = _describe(error)
            probe.problems.append("database cannot write")
    wake = timer.next_wake
    probe.timer = {
        "armed": wake is not None,
        "next_wake": None if wake is None else wake.astimezone(UTC).isoformat(),
    }
    if probe.leader and wake is None:
        probe.problems.append("the leader's timer is not armed")
    if probe.problems:
        log.warning("health: degraded (%s)", "; ".join(probe.problems))
    return probe


async def _deliveries(store: Store, now: datetime) -> dict[str, Any]:
    async with store.reading() as uow:
        rows = await uow.deliveries.backlog((*WAITING, DeliveryState.FAILED))
    counts = {state: count for state, count, _ in rows}
    waiting = [oldest for state, _, oldest in rows if state in WAITING and oldest]
    oldest = min(waiting, default=None)
    return {
        "pending": counts.get(DeliveryState.PENDING, 0),
        "sending": counts.get(DeliveryState.SENDING, 0),
        "failed": counts.get(DeliveryState.FAILED, 0),
        "oldest_waiting_seconds": None
        if oldest is None
        else round(max(0.0, (now - _aware(oldest)).total_seconds()), 1),
    }


async def _write(store: Store, replica: str, now: datetime) -> None:
    """Upsert this replica's health row: one tiny committed write."""
    async with store.unit_of_work() as uow:
        await uow.events.touch(f"{HEALTH_KEY}{replica}", now)


def _aware(moment: datetime) -> datetime:
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)


def _describe(error: BaseException) -> str:
    """The kind of failure and its first line, never a connection string."""
    if isinstance(error, TimeoutError):
        return "no answer within the probe's time limit"
    orig = getattr(error, "orig", None)
    first = str(orig if orig is not None else error).strip().splitlines()
    detail = first[0][:160] if first else ""
    return f"{type(error).__name__}: {redact_urls(detail)}" if detail else type(error).__name__
