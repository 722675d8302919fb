"""The assembled bot (``bot.app.start``) with webhook destinations, driven through the
desk's public entry points as the console would; tests read the console screen, the
receivers and the outbox rows."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Any

from sqlmodel import col, select

from bot.app import Runtime, start
from bot.settings import Settings
from commands.desk import Reaction
from commands.ports import Actor, ChannelRef, Reply
from storage import Delivery
from tests.fakes.clock import FakeClock
from tests.fakes.screen import Screen
from tests.fakes.webhooks import SECRET

PLATFORM, WORKSPACE = "console", "local"
ALICE = Actor(PLATFORM, "alice", "alice")
POLL = 0.02  # between looks at the database; correctness never depends on it


def webhook_settings(database_url: str, *urls: str, **extra: Any) -> Settings:
    values: dict[str, Any] = {
        "database_url": database_url,
        "http_port": 0,
        "public_destinations": ",".join(f"webhook:{url}" for url in urls),
        "webhook_secret": SECRET,
        **extra,
    }
    return Settings(_env_file=None, **values)


@dataclass
class Live:
    runtime: Runtime
    screen: Screen
    clock: FakeClock
    channel: str = "general"

    async def say(self, line: str) -> Reply:
        return await self.runtime.desk.handle_text(
            line, ALICE, ChannelRef(PLATFORM, WORKSPACE, self.channel)
        )

    async def open(self, line: str = "/incident open Checkout down sev2") -> None:
        assert self.runtime.console is not None
        before = set(self.runtime.console.channels)
        reply = await self.say(line)
        assert not reply.is_error, reply.plain
        [self.channel] = [c for c in self.runtime.console.channels if c not in before]

    async def approve(self, statement: str = "S1") -> None:
        assert self.runtime.console is not None
        draft = self.runtime.console.statement_message(self.channel, statement)
        assert draft is not None, f"no draft {statement} in #{self.channel}"
        reply = await self.runtime.desk.react(
            Reaction(
                ChannelRef(PLATFORM, WORKSPACE, self.channel),
                draft.message_id,
                ALICE,
                "white_check_mark",
            )
        )
        assert reply is not None and not reply.is_error, reply and reply.plain

    async def deliveries(self) -> list[Delivery]:
        async with self.runtime.store.unit_of_work() as uow:
            query = select(Delivery).order_by(col(Delivery.id))
            return list((await uow.session.exec(query)).all())

    async def delivery(self, url: str) -> Delivery:
        [found] = [d for d in await self.deliveries() if d.destination == f"webhook:{url}"]
        return found

    async def drive(self, done: Callable[[], Awaitable[bool]], limit: float = 10.0) -> None:
        """Run due work, as the timer would, until ``done`` (bounded). The real scheduler
        may be running the same work concurrently; claims make sure it happens once."""

        async def loop() -> None:
            while not await done():
                await self.runtime.desk.settle()
                await asyncio.sleep(POLL)

        await asyncio.wait_for(loop(), limit)

    async def settled(self, url: str, *states: str) -> Delivery:
        """Drive until the delivery to ``url`` is in one of ``states``; returns it."""

        async def done() -> bool:
            return (await self.delivery(url)).state in states

        await self.drive(done)
        return await self.delivery(url)


@asynccontextmanager
async def live(settings: Settings, clock: FakeClock) -> AsyncIterator[Live]:
    screen = Screen()
    runtime = await start(settings, console_write=screen.write, clock=clock)
    try:
        yield Live(runtime, screen, clock)
    finally:
        await runtime.stop()
