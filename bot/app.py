"""Composition root: builds everything from one ``Settings``. Nothing is built at import."""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

from aiohttp import web

from bot.adapters import Adapter, StartOptions
from bot.admin_http import AdminSources, build_admin_app, start_admin
from bot.alerts.wiring import register_alerts
from bot.console.platform import ConsoleChat
from bot.discord.runtime import DiscordAdapter
from bot.http import build_http_app, start_http
from bot.hub import HubDestination, register_hub
from bot.hub.subscribe import register_subscriptions
from bot.metrics import Metrics
from bot.policy_file import load_policy_file
from bot.priority import TeamFirst
from bot.publishers.wiring import Publishers
from bot.registry import (
    build_adapters,
    build_destinations,
    chat_kinds,
    group_words,
    implied,
    places,
)
from bot.replicas import AlreadyRunning, Replicas
from bot.scheduler import SchedulerTimer
from bot.settings import Settings
from bot.slack.runtime import SlackAdapter
from bot.startup import StartupError as StartupError  # where callers have long found it
from bot.startup import listen_problem, reaching_database
from bot.timed_destinations import timed_all
from commands import Clock, Deps, Desk, PolicyError, ShiftedClock
from storage import Store
from storage.migrate import schema_is_current

log = logging.getLogger("candor")

# At shut-down, attempts under way get this long to finish; then they are cancelled, and
# their leases lapse so the next run sends them (queued deliveries just stay pending).
DELIVERY_GRACE = 5.0


@dataclass
class Runtime:
    settings: Settings
    store: Store
    desk: Desk
    timer: SchedulerTimer
    clock: Clock
    adapters: list[Adapter] = field(default_factory=list)
    publishers: Publishers | None = None
    http: web.AppRunner | None = None
    replicas: Replicas | None = None
    admin: web.AppRunner | None = None  # the internal listener: /metrics, detailed /healthz
    metrics: Metrics = field(default_factory=Metrics)
    _stopped: bool = field(default=False, repr=False)

    def adapter(self, name: str) -> Adapter | None:
        return next((a for a in self.adapters if a.name == name), None)

    @property
    def console(self) -> ConsoleChat | None:
        """The console's chat, where ``candor console`` and tests read what was posted."""
        chat = getattr(self.adapter("console"), "chat", None)
        return chat if isinstance(chat, ConsoleChat) else None

    @property
    def slack(self) -> SlackAdapter | None:
        slack = self.adapter("slack")
        return slack if isinstance(slack, SlackAdapter) else None

    @property
    def discord(self) -> DiscordAdapter | None:
        discord = self.adapter("discord")
        return discord if isinstance(discord, DiscordAdapter) else None

    @property
    def admin_port(self) -> int | None:
        """The port the internal listener is bound to (ADMIN_HTTP_PORT=0: the one chosen)."""
        return None if self.admin is None else int(self.admin.addresses[0][1])

    async def stop(self) -> None:
        if self._stopped:
            return
        self._stopped = True
        await self.metrics.pauses.stop()
        await self.timer.stop()
        await self.desk.stop(grace=DELIVERY_GRACE)  # before the clients the couriers use
        for adapter in self.adapters:
            await adapter.stop()
        if self.http is not None:
            await self.http.cleanup()
        if self.admin is not None:
            await self.admin.cleanup()
        if self.publishers is not None:
            await self.publishers.close()
        await self.store.dispose()
        if self.replicas is not None:  # last: leadership, then the SQLite process lock
            await self.replicas.stop()


async def prepare_database(store: Store) -> None:
    """SQLite (the single-process default) migrates itself; a shared PostgreSQL is
    migrated on purpose with ``candor db upgrade`` so replicas never race a migration."""
    async with reaching_database(store):
        if store.dialect == "sqlite":
            await store.migrate()
        elif not await schema_is_current(store):
            raise StartupError(
                "The database schema is not up to date. Run `candor db upgrade` first."
            )


async def _start_admin(runtime: Runtime, replicas: Replicas, settings: Settings) -> None:
    """The internal listener, beside the public server and stopped with it."""
    sources = AdminSources(
        runtime.store, runtime.clock, runtime.metrics, replicas.leadership, replicas.timer
    )
    host, port = settings.admin_http_host, settings.admin_http_port
    try:
        runtime.admin = await start_admin(build_admin_app(sources), host, port)
    except OSError as error:
        await runtime.stop()
        raise listen_problem("ADMIN_HTTP", host, port, error) from error
    log.info("metrics and health on http://%s:%s (internal)", host, runtime.admin_port)


async def _serve(runtime: Runtime, http_app: web.Application, deps: Deps) -> None:
    settings = runtime.settings
    try:
        runtime.http = await start_http(
            http_app, settings.http_host, settings.http_port, settings.connection_limits()
        )
    except OSError as error:
        await runtime.stop()
        raise listen_problem("HTTP", settings.http_host, settings.http_port, error) from error
    if settings.public_url is None and settings.http_port == 0:  # links name the real port
        deps.public_url = f"http://{settings.http_host}:{runtime.http.addresses[0][1]}"
    log.info("HTTP on http://%s:%s", settings.http_host, settings.http_port)
    assert runtime.replicas is not None
    await _start_admin(runtime, runtime.replicas, settings)


async def _start_adapters(runtime: Runtime) -> None:
    assert runtime.replicas is not None
    try:
        for adapter in runtime.adapters:
            await adapter.start()
    except StartupError:
        await runtime.stop()
        raise
    for adapter in runtime.adapters:  # e.g. Discord: only the leader holds a gateway
        runtime.replicas.leadership.on_elected(adapter.elected)
        runtime.replicas.leadership.on_deposed(adapter.deposed)


async def _locked(store: Store, replicas: Replicas) -> None:
    try:
        async with reaching_database(store):  # SQLite: the lock file beside the database
            replicas.lock()
        await prepare_database(store)
    except Exception as error:
        await store.dispose()
        await replicas.stop()
        if isinstance(error, AlreadyRunning):
            raise StartupError(str(error)) from error
        raise


async def start(
    settings: Settings,
    *,
    console_write: Callable[[str], None] | None = None,
    console_chat: ConsoleChat | None = None,
    clock: Clock | None = None,
    serve_http: bool = True,
    discord_options: Mapping[str, Any] | None = None,
) -> Runtime:
    """Build and start the bot. With ``console_write`` (or a ``console_chat`` restored from
    an earlier run) the console platform is on.
    ``discord_options`` go to discord.py's Client (tests shorten ``guild_ready_timeout``)."""
    clock = clock or ShiftedClock()
    try:
        policy_file = load_policy_file(settings.candor_config)
    except PolicyError as error:
        raise StartupError(str(error)) from error
    options = StartOptions(console_write, dict(discord_options or {}), console_chat)
    adapters = await build_adapters(settings, options)
    entries, feeds = implied(adapters, settings)
    store = Store(settings.database_url, name=settings.replica)  # connects once migrated
    publishers = Publishers(settings, store, clock)
    kinds = {**chat_kinds(adapters), **publishers.kinds()}
    hub = HubDestination()  # always on, and first: every update appears on the hub first
    metrics = Metrics()  # every attempt at every destination is timed, per kind
    destinations = timed_all({hub.key: hub, **build_destinations(entries, kinds)}, metrics)

    replicas = Replicas(settings.replica, store, clock)
    await _locked(store, replicas)
    deps = Deps(
        store=store,
        clock=clock,
        platforms={adapter.name: adapter.chat for adapter in adapters},
        timer=replicas.timer,
        destinations=destinations,
        approval=settings.approval_policy().spelled(group_words()),
        authority=settings.authority_policy(policy_file.authority),
        cadence=policy_file.cadence,
        templates=policy_file.templates,
        severity_words=policy_file.severity_words,
        checklist=policy_file.checklist,
        feeds=feeds,
        # Links to the hub only where a hub answers: `candor console` serves no HTTP.
        public_url=settings.hub_base_url if serve_http or settings.public_url else None,
        telemetry=metrics,
        places=places(kinds),
    )
    desk = Desk(deps)
    http_app = build_http_app(store)
    team_first = TeamFirst()  # commands and acks before public reads (bot/priority.py)
    register_hub(
        http_app,
        store,
        clock,
        base_url=lambda: deps.public_url or settings.hub_base_url,
        destination=hub,
        refresh=timedelta(seconds=settings.hub_refresh_seconds),
        team_first=team_first,
        title=settings.page_name,
        email_offered=publishers.email.subscriptions is not None,
    )
    register_alerts(http_app, desk, policy_file.alerts, adapters, feeds, settings, metrics)
    await publishers.email.start(base_url=lambda: deps.public_url or settings.hub_base_url)
    register_subscriptions(http_app, publishers.email.subscriptions, site_title=settings.page_name)
    for adapter in adapters:
        adapter.attach(desk, http_app, team_first)
    runtime = Runtime(settings, store, desk, replicas.timer, clock, adapters, publishers)
    runtime.replicas = replicas
    runtime.metrics = metrics
    for adapter in adapters:
        if adapter.ack_path is not None:
            http_app.middlewares.append(metrics.ack_timer(adapter.name, adapter.ack_path))
            metrics.ack.labels(platform=adapter.name)
    if serve_http:
        await _serve(runtime, http_app, deps)
    await _start_adapters(runtime)
    await replicas.start(desk)  # the leader (at once on SQLite) re-arms from the database
    return runtime
