"""The whole bot with email on: the real runtime, its real HTTP server, a real SMTP
server on 127.0.0.1. People type at the desk; readers use the hub over HTTP."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from typing import Any

import aiohttp
import pytest

from bot.app import Runtime, start
from bot.settings import Settings
from commands.ports import Actor, ChannelRef, Reply
from tests.email.mailbox import Mail, Mailbox
from tests.fakes.clock import FakeClock
from tests.fakes.screen import Screen

EMAIL_FROM = "Acme Status <status@acme.example>"
CONFIRM = "Confirm"
# Tests subscribe many readers from 127.0.0.1 on a clock that stands still: the limits on
# confirmation mails are lifted unless a test asks for them (test_subscribe_abuse.py).
NO_LIMITS = {
    "subscribe_per_client_per_minute": 10_000,
    "subscribe_per_mailbox_per_hour": 10_000,
    "subscribe_per_minute": 10_000,
}


@dataclass
class Page:
    status: int
    text: str
    headers: Any


@dataclass
class Bot:
    runtime: Runtime
    screen: Screen
    http: aiohttp.ClientSession
    base: str

    async def say(self, who: str, line: str) -> Reply:
        reply = await self.runtime.desk.handle_text(
            line, Actor("console", who, who.capitalize()), ChannelRef("console", "local", "general")
        )
        assert not reply.is_error, reply.plain
        return reply

    async def open_incident(self) -> None:
        """alice opens INC-1 (commander), bob is comms, and the ack S1 goes public."""
        await self.say("alice", "/incident open Checkout down sev2")
        await self.say("alice", "/incident INC-1 assign comms @bob")
        await self.publish("alice", "S1")

    async def update(self, template: str, ref: str, incident: str = "INC-1") -> None:
        """alice drafts an update from a template; bob approves it; it goes out."""
        await self.say("alice", f"/incident {incident} draft {template}")
        await self.publish("bob", ref, incident)

    async def publish(self, who: str, ref: str, incident: str = "INC-1") -> None:
        """``who`` approves statement ``ref``; returns once every delivery has settled."""
        pattern = rf"{ref} is public"
        seen = self.screen.count(pattern)
        pinned = ref if "r" in ref else f"{ref}r1"  # the wording as drafted (see approvals)
        await self.say(who, f"/incident {incident} approve {pinned}")
        await self.runtime.desk.settle()
        await self.screen.wait_for(pattern, seen=seen)

    async def get(self, url: str) -> Page:
        async with self.http.get(url) as response:
            return Page(response.status, await response.text(), response.headers)

    async def post(self, url: str, data: dict[str, str] | str) -> Page:
        async with self.http.post(url, data=data) as response:
            return Page(response.status, await response.text(), response.headers)

    async def subscribe(self, email: str, incident_id: int | str = "", **extra: str) -> Page:
        form = {"email": email, "incident_id": str(incident_id), **extra}
        return await self.post(f"{self.base}/status/subscribe", form)

    async def confirm(self, url: str) -> Page:
        """Follow a confirmation link and press the page's button, as a reader does."""
        asked = await self.get(url)
        if asked.status != 200:
            return asked
        assert '<form method="post" action="/status/confirm">' in asked.text, asked.text
        token = re.search(r'name="token" value="([^"]+)"', asked.text)
        assert token is not None, asked.text
        return await self.post(f"{self.base}/status/confirm", {"token": token[1]})

    async def subscribe_and_confirm(
        self, mailbox: Mailbox, email: str, incident_id: int | str = ""
    ) -> Mail:
        page = await self.subscribe(email, incident_id)
        assert page.status == 200, page.text
        mail = await mailbox.wait_for(email, CONFIRM)
        confirmed = await self.confirm(mail.link("/status/confirm"))
        assert confirmed.status == 200 and "You are subscribed" in confirmed.text
        return mail


def email_settings(database_url: str, mailbox: Mailbox, **overrides: Any) -> Settings:
    values: dict[str, Any] = {
        "database_url": database_url,
        "http_port": 0,
        "smtp_url": mailbox.url(),
        "email_from": EMAIL_FROM,
        "public_destinations": "email:subscribers",
        **NO_LIMITS,
        **overrides,
    }
    return Settings(_env_file=None, **values)


BotStarter = Callable[..., Awaitable[Bot]]


@pytest.fixture
async def mailbox() -> AsyncIterator[Mailbox]:
    box = Mailbox()
    await box.start()
    yield box
    await box.stop()


@pytest.fixture
async def start_bot(
    database_url: str, clock: FakeClock, mailbox: Mailbox
) -> AsyncIterator[BotStarter]:
    """Start the bot (again, after ``stop``), with email through ``mailbox`` by default."""
    running: list[Bot] = []

    async def starter(box: Mailbox | None = None, **overrides: Any) -> Bot:
        screen = Screen()
        settings = email_settings(database_url, box or mailbox, **overrides)
        runtime = await start(settings, console_write=screen.write, clock=clock)
        assert runtime.http is not None
        host, port = runtime.http.addresses[0][:2]
        bot = Bot(runtime, screen, aiohttp.ClientSession(), f"http://{host}:{port}")
        running.append(bot)
        return bot

    yield starter
    for bot in running:
        await stop(bot)


async def stop(bot: Bot) -> None:
    await bot.http.close()
    await bot.runtime.stop()
