"""Composition root: builds everything from one ``Settings``. Nothing is built at import."""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

from aiohttp import web

from bot.admin_http import AdminSources, build_admin_app, start_admin
from bot.console.platform import PLATFORM as CONSOLE
from bot.console.platform import ConsoleChat
from bot.discord.runtime import DiscordAdapter, DiscordConfigError
from bot.http import build_http_app, start_http
from bot.hub import HubDestination, register_hub
from bot.hub.subscribe import register_subscriptions
from bot.metrics import Metrics
from bot.policy_file import load_policy_file
from bot.priority import TeamFirst
from bot.publishers.webhook import WebhookConfigError, Webhooks
from bot.publishers.wiring import EmailConfigError, EmailPublishing
from bot.replicas import AlreadyRunning, Replicas
from bot.scheduler import SchedulerTimer
from bot.settings import Settings
from bot.slack.runtime import EVENTS_PATH, SlackAdapter, SlackConfigError, SlackUnavailable
from bot.startup import StartupError as StartupError  # where callers have long found it
from bot.startup import listen_problem, reaching_database
from bot.timed_destinations import timed_all
from commands.clock import Clock, ShiftedClock
from commands.context import Deps
from commands.desk import Desk
from commands.destinations import ChatChannelDestination
from commands.policy import PolicyError
from commands.ports import ChatPlatform, Destination
from commands.secrets import redact_urls
from storage import Store
from storage.migrate import schema_is_current

log = logging.getLogger("candor")

DestinationFactory = Callable[[str], Destination]
# At shut-down, attempts under way get this long to finish; then they are cancelled, and
# their leases lapse so the next run sends them (queued deliveries just stay pending).
DELIVERY_GRACE = 5.0


def build_destinations(
    entries: list[str], factories: dict[str, DestinationFactory]
) -> dict[str, Destination]:
    """``PUBLIC_DESTINATIONS`` entries → destinations; an unusable entry stops the start."""
    destinations: dict[str, Destination] = {}
    for entry in entries:
        kind, _, target = entry.partition(":")
        factory = factories.get(kind.lower())
        if factory is None or not target:
            targets = {"webhook": "<https url>", "email": "subscribers"}
            available = (
                ", ".join(f"{name}:{targets.get(name, '<channel>')}" for name in factories)
                or "nothing"
            )
            raise StartupError(
                f"PUBLIC_DESTINATIONS entry {redact_urls(entry)!r} cannot be used here: "
                f"with these settings Candor can publish to {available}."
            )
        destinations[entry] = factory(target)
    return destinations


@dataclass
class Runtime:
    settings: Settings
    store: Store
    desk: Desk
    timer: SchedulerTimer
    clock: Clock
    console: ConsoleChat | None = None
    slack: SlackAdapter | None = None
    http: web.AppRunner | None = None
    webhooks: Webhooks | None = None
    discord: DiscordAdapter | None = None
    replicas: Replicas | None = None
    admin: web.AppRunner | None = None  # the internal listener: /metrics, detailed /healthz
    metrics: Metrics = field(default_factory=Metrics)
    _stopped: bool = field(default=False, repr=False)

    @property
    def admin_port(self) -> int | None:
        """The port the internal listener is bound to (ADMIN_HTTP_PORT=0: the one chosen)."""
        return None if self.admin is None else int(self.admin.addresses[0][1])

    async def stop(self) -> None:
        if self._stopped:
            return
        self._stopped = True
        await self.timer.stop()
        await self.desk.stop(grace=DELIVERY_GRACE)  # before the clients the couriers use
        if self.slack is not None:
            await self.slack.stop()
        if self.discord is not None:
            await self.discord.stop()
        if self.http is not None:
            await self.http.cleanup()
        if self.admin is not None:
            await self.admin.cleanup()
        if self.webhooks is not None:
            await self.webhooks.close()
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


@dataclass
class _Platforms:
    chats: dict[str, ChatPlatform] = field(default_factory=dict)
    destinations: dict[str, DestinationFactory] = field(default_factory=dict)
    console: ConsoleChat | None = None
    slack: SlackAdapter | None = None
    discord: DiscordAdapter | None = None
    webhooks: Webhooks | None = None


def _checked(build: DestinationFactory, *config_errors: type[Exception]) -> DestinationFactory:
    """A destination factory whose configuration errors stop the start, stated plainly."""

    def checked(target: str) -> Destination:
        try:
            return build(target)
        except config_errors as error:
            raise StartupError(str(error)) from error

    return checked


async def _platforms(
    settings: Settings,
    console_write: Callable[[str], None] | None,
    discord_options: Mapping[str, Any],
) -> _Platforms:
    found = _Platforms()
    if console_write is not None:
        console = found.console = ConsoleChat(console_write)
        found.chats[CONSOLE] = console
        found.destinations[CONSOLE] = lambda channel: ChatChannelDestination(
            console, channel, f"console:{channel}", f"#{channel} (console)"
        )
    if settings.has_slack:
        try:
            slack = found.slack = SlackAdapter(settings)
            await slack.check_token()
        except SlackConfigError as error:
            code = 1 if isinstance(error, SlackUnavailable) else 2
            raise StartupError(str(error), exit_code=code) from error
        found.chats["slack"] = slack.chat
        found.destinations["slack"] = slack.destination
    if settings.has_discord:
        discord = found.discord = DiscordAdapter(settings, **discord_options)
        try:
            await discord.check_token()
        except DiscordConfigError as error:
            await discord.stop()
            raise StartupError(str(error)) from error
        found.chats["discord"] = discord.chat
        found.destinations["discord"] = _checked(discord.destination, ValueError)
    secret = settings.webhook_secret.get_secret_value() if settings.webhook_secret else None
    found.webhooks = Webhooks(secret, timeout=settings.webhook_timeout)
    found.destinations["webhook"] = _checked(found.webhooks.destination, WebhookConfigError)
    return found


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


async def start(
    settings: Settings,
    *,
    console_write: Callable[[str], None] | None = None,
    clock: Clock | None = None,
    serve_http: bool = True,
    discord_options: Mapping[str, Any] | None = None,
) -> Runtime:
    """Build and start the bot. With ``console_write`` the console platform is on.
    ``discord_options`` go to discord.py's Client (tests shorten ``guild_ready_timeout``)."""
    clock = clock or ShiftedClock()
    try:
        cadence, templates, authority = load_policy_file(settings.candor_config)
    except PolicyError as error:
        raise StartupError(str(error)) from error
    platforms = await _platforms(settings, console_write, discord_options or {})
    entries = settings.destinations
    if platforms.console is not None and "console:public" not in entries:
        entries = ["console:public", *entries]
    store = Store(settings.database_url, name=settings.replica)  # connects once migrated
    email = EmailPublishing(settings, store, clock)
    factories = {**platforms.destinations, "email": _checked(email.destination, EmailConfigError)}
    hub = HubDestination()  # always on, and first: every update appears on the hub first
    metrics = Metrics()  # every attempt at every destination is timed, per kind
    destinations = timed_all({hub.key: hub, **build_destinations(entries, factories)}, metrics)
    feeds = settings.feeds
    if platforms.console is not None:
        feeds.setdefault(CONSOLE, "incidents")

    replicas = Replicas(settings.replica, store, clock)
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
    timer = replicas.timer
    deps = Deps(
        store=store,
        clock=clock,
        platforms=platforms.chats,
        timer=timer,
        destinations=destinations,
        approval=settings.approval_policy(),
        authority=settings.authority_policy(authority),
        cadence=cadence,
        templates=templates,
        feeds=feeds,
        # Links to the hub only where a hub answers: `candor console` serves no HTTP.
        public_url=settings.hub_base_url if serve_http or settings.public_url else None,
        telemetry=metrics,
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
    )
    await email.start(base_url=lambda: deps.public_url or settings.hub_base_url)
    register_subscriptions(http_app, email.subscriptions)
    if platforms.slack is not None:
        platforms.slack.attach(desk, http_app, team_first)
    if platforms.discord is not None:
        platforms.discord.attach(desk, team_first)
    runtime = Runtime(settings, store, desk, timer, clock, platforms.console, platforms.slack)
    runtime.webhooks = platforms.webhooks
    runtime.discord = platforms.discord
    runtime.replicas = replicas
    runtime.metrics = metrics
    if platforms.slack is not None and not platforms.slack.socket_mode:
        http_app.middlewares.append(metrics.ack_timer("slack", EVENTS_PATH))
        metrics.ack.labels(platform="slack")
    if serve_http:
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
        await _start_admin(runtime, replicas, settings)
    if platforms.slack is not None:
        await platforms.slack.start()
    if platforms.discord is not None:
        try:
            await platforms.discord.start()
        except DiscordConfigError as error:
            await runtime.stop()
            raise StartupError(str(error)) from error
        # Discord sends each event to every gateway connection: only the leader holds one.
        replicas.leadership.on_elected(platforms.discord.hold_gateway)
        replicas.leadership.on_deposed(platforms.discord.release_gateway)
    await replicas.start(desk)  # the leader (at once on SQLite) re-arms from the database
    return runtime
