"""Composition root: builds everything from one ``Settings``. Nothing is built at import."""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field

from aiohttp import web

from bot.console.platform import PLATFORM as CONSOLE
from bot.console.platform import ConsoleChat
from bot.http import build_http_app, start_http
from bot.policy_file import load_policy_file
from bot.scheduler import SchedulerTimer
from bot.settings import Settings
from commands.clock import Clock, ShiftedClock
from commands.context import Deps
from commands.desk import Desk
from commands.destinations import ChatChannelDestination
from commands.policy import PolicyError
from commands.ports import ChatPlatform, Destination
from storage import Store
from storage.migrate import schema_is_current

log = logging.getLogger("candor")


class StartupError(Exception):
    """Configuration or environment problem; shown to the operator without a traceback."""


def build_destinations(
    entries: list[str], platforms: dict[str, ChatPlatform]
) -> dict[str, Destination]:
    """``PUBLIC_DESTINATIONS`` entries → destinations; an unusable entry stops the start."""
    destinations: dict[str, Destination] = {}
    for entry in entries:
        kind, _, target = entry.partition(":")
        chat = platforms.get(kind.lower())
        if chat is None or not target:
            available = ", ".join(f"{name}:<channel>" for name in platforms)
            raise StartupError(
                f"PUBLIC_DESTINATIONS entry {entry!r} cannot be used here: "
                f"this build supports {available}."
            )
        label = f"#{target} ({kind})"
        destinations[entry] = ChatChannelDestination(chat, target, entry, label)
    return destinations


@dataclass
class Runtime:
    settings: Settings
    store: Store
    desk: Desk
    timer: SchedulerTimer
    clock: Clock
    console: ConsoleChat | None = None
    http: web.AppRunner | None = None
    _stopped: bool = field(default=False, repr=False)

    async def stop(self) -> None:
        if self._stopped:
            return
        self._stopped = True
        self.timer.shutdown()
        if self.http is not None:
            await self.http.cleanup()
        await self.store.dispose()


async def prepare_database(store: Store) -> None:
    """SQLite (the single-process default) migrates itself; a shared PostgreSQL is
    migrated on purpose with ``candor db upgrade`` so replicas never race a migration."""
    if store.dialect == "sqlite":
        await store.migrate()
    elif not await schema_is_current(store):
        raise StartupError("The database schema is not up to date. Run `candor db upgrade` first.")


async def start(
    settings: Settings,
    *,
    console_write: Callable[[str], None] | None = None,
    clock: Clock | None = None,
    serve_http: bool = True,
) -> Runtime:
    """Build and start the bot. With ``console_write`` the console platform is on."""
    clock = clock or ShiftedClock()
    try:
        cadence, templates = load_policy_file(settings.candor_config)
    except PolicyError as error:
        raise StartupError(str(error)) from error
    store = Store(settings.database_url)
    try:
        await prepare_database(store)
    except Exception:
        await store.dispose()
        raise
    platforms: dict[str, ChatPlatform] = {}
    console = None
    if console_write is not None:
        console = ConsoleChat(console_write)
        platforms[CONSOLE] = console
    destination_entries = settings.destinations
    if console is not None and "console:public" not in destination_entries:
        destination_entries = ["console:public", *destination_entries]
    feeds = settings.feeds
    if console is not None:
        feeds.setdefault(CONSOLE, "incidents")
    timer = SchedulerTimer(clock)
    deps = Deps(
        store=store,
        clock=clock,
        platforms=platforms,
        timer=timer,
        destinations=build_destinations(destination_entries, platforms),
        approval=settings.approval_policy(),
        cadence=cadence,
        templates=templates,
        feeds=feeds,
        public_url=settings.public_url,
    )
    desk = Desk(deps)
    timer.start(desk.run_due)
    runtime = Runtime(settings, store, desk, timer, clock, console)
    await desk.start()
    if serve_http:
        runtime.http = await start_http(
            build_http_app(store, clock), settings.http_host, settings.http_port
        )
        log.info(
            "HTTP on http://%s:%s (/healthz, /metrics)", settings.http_host, settings.http_port
        )
    return runtime
