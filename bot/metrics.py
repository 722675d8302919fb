"""Prometheus metrics, served on the internal listener only (bot/admin_http.py).

Timings are histograms kept in this process: how long Slack waited for our ack, how
late each reminder was taken up, how long each delivery attempt took per kind of
destination. Counts are read from the database at each scrape. ``candor_internal_*``
counts include incidents nobody outside has been told about: never put them on a
public page. ``candor_public_open_incidents`` counts what the public has been told.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from aiohttp import web
from aiohttp.typedefs import Handler, Middleware
from prometheus_client import CollectorRegistry, Counter, Histogram, generate_latest
from prometheus_client.core import GaugeMetricFamily, Metric

from bot.pauses import PauseWatch
from bot.replicas.leadership import Leadership
from storage import DeliveryState, Store

log = logging.getLogger("candor.metrics")

CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"
ACK_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.0, 3.0, 5.0, 10.0)
REMINDER_LAG_BUCKETS = (0.5, 1.0, 2.0, 5.0, 10.0, 30.0, 60.0, 120.0, 300.0, 900.0, 3600.0)
DELIVERY_BUCKETS = (0.01, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 15.0, 30.0, 60.0, 120.0)
REMINDER_KINDS = ("update", "task", "eta")
SNAPSHOT_TIMEOUT = 5.0  # a scrape never hangs on a database that does not answer


def destination_kind(key: str) -> str:
    """``webhook:https://…`` → ``webhook``; ``hub`` → ``hub`` (never the target itself:
    a label must not carry a URL, a channel id or its credentials)."""
    return key.partition(":")[0].lower() or "unknown"


class Metrics:
    """One per runtime (tests run several in one process), each with its own registry."""

    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        self.ack = Histogram(
            "candor_ack_seconds",
            "Time from a platform request's arrival to our acknowledgement (Slack: 3 s limit).",
            ["platform"],
            buckets=ACK_BUCKETS,
            registry=self.registry,
        )
        self.reminder_lag = Histogram(
            "candor_reminder_lag_seconds",
            "How late after its time each due reminder was taken up.",
            ["kind"],
            buckets=REMINDER_LAG_BUCKETS,
            registry=self.registry,
        )
        self.delivery = Histogram(
            "candor_delivery_seconds",
            "Duration of each delivery attempt, per kind of destination.",
            ["kind"],
            buckets=DELIVERY_BUCKETS,
            registry=self.registry,
        )
        self.delivery_attempts = Counter(
            "candor_delivery_attempts",
            "Delivery attempts per kind of destination and outcome.",
            ["kind", "outcome"],
            registry=self.registry,
        )
        self.alert_notifications = Counter(
            "candor_alert_notifications",
            "Alert notifications per source and what came of them (opened, updated, "
            "duplicate, attached, unauthorized, malformed, unavailable...).",
            ["source", "outcome"],
            registry=self.registry,
        )
        for kind in REMINDER_KINDS:
            self.reminder_lag.labels(kind=kind)
        self.pauses = PauseWatch(self.registry)  # loop lag and collector stops

    # --- what is measured ---------------------------------------------------------------

    def reminder_fired(self, kind: str, lag: timedelta) -> None:
        """``commands.telemetry.Telemetry``: the core reports each reminder taken up."""
        self.reminder_lag.labels(kind=kind).observe(max(0.0, lag.total_seconds()))

    def delivered(self, key: str, seconds: float, outcome: str) -> None:
        kind = destination_kind(key)
        self.delivery.labels(kind=kind).observe(seconds)
        self.delivery_attempts.labels(kind=kind, outcome=outcome).inc()

    def expect_destination(self, key: str) -> None:
        """Show a configured destination's series (at zero) before its first delivery."""
        self.delivery.labels(kind=destination_kind(key))

    def ack_timer(self, platform: str, path: str) -> Middleware:
        """An aiohttp middleware timing successful answers to ``path`` (the platform's
        acknowledgement: a refused or forged request is not an ack)."""
        histogram = self.ack.labels(platform=platform)

        @web.middleware
        async def timed(request: web.Request, handler: Handler) -> web.StreamResponse:
            if request.path != path:
                return await handler(request)
            started = time.perf_counter()
            response = await handler(request)
            if response.status < 400:
                histogram.observe(time.perf_counter() - started)
            return response

        return timed

    # --- the scrape -------------------------------------------------------------------------

    async def render(self, store: Store, now: datetime, leadership: Leadership | None) -> bytes:
        snapshot = _Snapshot(leader=None if leadership is None else leadership.is_leader)
        try:
            async with asyncio.timeout(SNAPSHOT_TIMEOUT):
                await snapshot.read(store, now)
        except Exception as error:  # still serve the timings: they matter most then
            log.warning("metrics: database counts unavailable (%s)", type(error).__name__)
        scraped = CollectorRegistry()
        scraped.register(snapshot)
        return generate_latest(self.registry) + generate_latest(scraped)


@dataclass(eq=False)  # a registry keys its collectors by identity
class _Snapshot:
    """Counts read from the database for one scrape (a prometheus_client collector)."""

    leader: bool | None
    database_ok: bool = False
    counts: dict[str, int] = field(default_factory=dict)
    deliveries: dict[str, int] = field(default_factory=dict)

    async def read(self, store: Store, now: datetime) -> None:
        async with store.reading() as uow:
            internal = await uow.incidents.count_open()
            overdue = await uow.incidents.count_open(overdue_at=now)
            public = await uow.statements.count_public_open()
            by_state = await uow.deliveries.count_by_state()
        self.counts = {"internal": internal, "overdue": overdue, "public": public}
        self.deliveries = dict.fromkeys(map(str, DeliveryState), 0) | by_state
        self.database_ok = True

    def collect(self) -> Iterable[Metric]:
        yield GaugeMetricFamily(
            "candor_metrics_database_up",
            "1 when this scrape could read the database counts below, else 0.",
            value=int(self.database_ok),
        )
        if self.leader is not None:
            yield GaugeMetricFamily(
                "candor_leader",
                "1 when this replica leads (runs the timers), else 0.",
                value=int(self.leader),
            )
        if not self.database_ok:
            return
        yield GaugeMetricFamily(
            "candor_public_open_incidents",
            "Incidents the public has been told are open (by their latest published statement).",
            value=self.counts["public"],
        )
        yield GaugeMetricFamily(
            "candor_internal_open_incidents",
            "INTERNAL: every unresolved incident, including ones not yet announced.",
            value=self.counts["internal"],
        )
        yield GaugeMetricFamily(
            "candor_internal_overdue_public_updates",
            "INTERNAL: open incidents whose next public update is overdue.",
            value=self.counts["overdue"],
        )
        deliveries = GaugeMetricFamily(
            "candor_deliveries", "Statement deliveries by state.", labels=["state"]
        )
        for state, count in sorted(self.deliveries.items()):
            deliveries.add_metric([state], count)
        yield deliveries
