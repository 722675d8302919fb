"""The whole bot with Discord on: the real discord.py client, our real runtime, a fake
Discord REST + gateway on 127.0.0.1. Tests wait on what the fake records (bounded
waits, never sleeps)."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Any

import discord
from discord.gateway import DiscordWebSocket
from sqlmodel import select

from bot.app import Runtime, start
from bot.settings import Settings
from storage import Delivery
from tests.fakes.clock import FakeClock
from tests.fakes.discord import FakeDiscord

TOKEN = "MTAx.fake-discord.bot-token"
GUILD = 900000000000000001
GENERAL = 900000000000000010
FEED = 900000000000000011
STATUS = 900000000000000012  # a plain public text channel
NEWS = 900000000000000013  # an announcement channel, followed by other servers
COMMS_ROLE = 900000000000000020
ALICE, BOB, CAROL, MALLORY = (
    900000000000000101,
    900000000000000102,
    900000000000000103,
    900000000000000104,
)


@dataclass
class DiscordBot:
    fake: FakeDiscord
    runtime: Runtime
    clock: FakeClock

    async def slash(
        self, sub: str, options: dict[str, Any] | None = None, *, user: int = ALICE,
        channel: int = GENERAL,
    ) -> Any:  # fmt: skip
        """Run `/incident <sub>` and wait until it was answered."""
        ix = await self.fake.slash(GUILD, channel, user, "incident", sub, options or {})
        await ix.wait_done()
        return ix

    def answer(self, ix: Any) -> str:
        """The text of the last answer a person saw: embed title, description and fields."""
        message = ix.followups[-1]
        parts = [message.get("content") or ""]
        for card in message.get("embeds") or []:
            parts += [card.get("title") or "", card.get("description") or ""]
            parts += [f"{f['name']}: {f['value']}" for f in card.get("fields") or []]
        return "\n".join(p for p in parts if p)

    def channel_named(self, prefix: str) -> dict[str, Any]:
        found = [c for c in self.fake.channels(GUILD) if c["name"].startswith(prefix)]
        assert found, f"no channel named {prefix}…"
        return found[-1]

    def embeds(self, channel: int | str) -> list[dict[str, Any]]:
        return [e for m in self.fake.messages(channel) for e in m.get("embeds") or []]

    def draft_id(self, channel: int | str, statement: str) -> str:
        for message in reversed(self.fake.messages(channel)):
            for card in message.get("embeds") or []:
                title = card.get("title") or ""
                if title.startswith(f"{statement} · ") and "superseded" not in title:
                    return str(message["id"])
        raise AssertionError(f"no draft {statement} in {channel}")

    async def wait_draft(self, channel: int | str, statement: str) -> str:
        """The id of a draft once it is posted and seeded with ✅ and ❌."""

        def seeded() -> bool:
            try:
                message_id = self.draft_id(channel, statement)
            except AssertionError:
                return False
            message = next(m for m in self.fake.messages(channel) if m["id"] == message_id)
            return len(message.get("reactions") or []) >= 2

        await self.fake.wait_for(seeded)
        return self.draft_id(channel, statement)

    async def open_incident(self, title: str = "Payments failing", severity: str = "sev2") -> str:
        """`/incident open`; the new channel's id once its S1 draft is ready to vote on."""
        await self.slash("open", {"title": title, "severity": severity})
        channel = self.channel_named("inc-")
        await self.wait_draft(channel["id"], "S1")
        return str(channel["id"])

    async def deliveries(self) -> dict[str, Delivery]:
        async with self.runtime.store.reading() as uow:
            rows = (await uow.session.exec(select(Delivery))).all()
        return {row.destination: row for row in rows}

    async def wait_deliveries(
        self, *keys: str, state: str = "sent", attempts: int = 0
    ) -> dict[str, Delivery]:
        """Poll the outbox (bounded) until each named delivery is in ``state`` after at
        least ``attempts`` attempts."""

        def ready(row: Delivery | None) -> bool:
            return row is not None and row.state == state and row.attempts >= attempts

        async with asyncio.timeout(10):
            while True:
                rows = await self.deliveries()
                if all(ready(rows.get(k)) for k in keys):
                    return rows
                await asyncio.sleep(0.02)


def settings(fake: FakeDiscord, database_url: str, **extra: Any) -> Settings:
    values: dict[str, Any] = {
        "database_url": database_url,
        "http_port": 0,
        "discord_bot_token": TOKEN,
        "discord_guild_id": GUILD,
        "discord_api_url": fake.api_base,
        "discord_gateway_url": fake.gateway_url,
        "public_destinations": f"discord:{STATUS},discord:{NEWS}",
        "incidents_feed": f"discord:{FEED}",
        "approvers": f"discord:role:{COMMS_ROLE},role:commander",
        **extra,
    }
    return Settings(_env_file=None, **values)


def populate(fake: FakeDiscord) -> None:
    fake.add_guild(GUILD, name="Acme")
    fake.add_role(GUILD, COMMS_ROLE, "comms")
    for user, name, roles in (
        (ALICE, "alice", ()),
        (BOB, "bob", (COMMS_ROLE,)),
        (CAROL, "carol", (COMMS_ROLE,)),
        (MALLORY, "mallory", ()),
    ):
        fake.add_member(GUILD, user, name, roles=roles)
    fake.add_channel(GUILD, GENERAL, "general")
    fake.add_channel(GUILD, FEED, "incidents")
    fake.add_channel(GUILD, STATUS, "status")
    fake.add_channel(GUILD, NEWS, "announcements", type=5)


def point_at_fake(monkeypatch: Any) -> None:
    """discord.py reads its REST base and gateway from class attributes, which the bot
    points at the fake: have them restored after the test."""
    monkeypatch.setattr(discord.http.Route, "BASE", discord.http.Route.BASE)
    monkeypatch.setattr(DiscordWebSocket, "DEFAULT_GATEWAY", DiscordWebSocket.DEFAULT_GATEWAY)


@asynccontextmanager
async def discord_bot(
    database_url: str,
    clock: FakeClock,
    monkeypatch: Any,
    prepare: Callable[[FakeDiscord], object] | None = None,
    **extra: Any,
) -> AsyncIterator[DiscordBot]:
    """The bot on the fake Discord; ``prepare`` seeds more of the server before start."""
    point_at_fake(monkeypatch)
    async with FakeDiscord(TOKEN) as fake:
        populate(fake)
        if prepare is not None:
            prepare(fake)
        runtime = await start(
            settings(fake, database_url, **extra),
            clock=clock,
            discord_options={"guild_ready_timeout": 0.05},
        )
        try:
            await fake.wait_ready()
            yield DiscordBot(fake, runtime, clock)
        finally:
            await runtime.stop()
