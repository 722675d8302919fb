"""The assembled bot with its HTTP server on 127.0.0.1, a team at the console driving
the desk, and a browser-less reader of the status hub (real HTTP, no mocks)."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from html.parser import HTMLParser
from typing import Any

import aiohttp
from multidict import CIMultiDictProxy

from bot.app import Runtime, start
from bot.settings import Settings
from commands.desk import Reaction
from commands.ports import Actor, ChannelRef, Reply
from storage import Statement
from tests.fakes.clock import FakeClock
from tests.fakes.screen import Screen

PLATFORM, WORKSPACE = "console", "local"
# Distinctive names and ids, so "never shown" checks cannot pass or fail by accident.
PEOPLE = {
    "alice": Actor(PLATFORM, "u100", "Alice Quillfeather"),  # commander; signs what she drafts
    "bruno": Actor(PLATFORM, "u200", "Bruno Marlowe"),  # comms; approves and rejects
    "carol": Actor(PLATFORM, "u300", "Carol Tannhauser"),  # owns a task
}
NEVER_PUBLIC = ("u100", "u200", "u300", "Bruno", "Marlowe", "Carol", "Tannhauser")


@dataclass
class Page:
    status: int
    headers: CIMultiDictProxy[str]
    body: bytes

    @property
    def text(self) -> str:
        return self.body.decode("utf-8")


@dataclass
class HubBot:
    runtime: Runtime
    screen: Screen
    http: aiohttp.ClientSession
    clock: FakeClock
    base_url: str
    where: dict[str, str] = field(default_factory=dict)

    async def say(self, who: str, line: str) -> Reply:
        channel = ChannelRef(PLATFORM, WORKSPACE, self.where.get(who, "general"))
        reply = await self.runtime.desk.handle_text(line, PEOPLE[who], channel)
        assert not reply.is_error, reply.plain
        return reply

    async def open(self, who: str, title: str, severity: str = "sev2") -> str:
        await self.say(who, f"/incident open {title} {severity}")
        assert self.runtime.console is not None
        channel = list(self.runtime.console.channels)[-1]
        for person in PEOPLE:
            self.where[person] = channel
        return channel

    async def react(self, who: str, statement: str, emoji: str = "white_check_mark") -> None:
        assert self.runtime.console is not None
        channel = self.where[who]
        posted = self.runtime.console.statement_message(channel, statement)
        assert posted is not None, f"no draft {statement} in #{channel}"
        reaction = Reaction(
            ChannelRef(PLATFORM, WORKSPACE, channel), posted.message_id, PEOPLE[who], emoji
        )
        reply = await self.runtime.desk.react(reaction)
        assert reply is not None and not reply.is_error, reply and reply.plain

    async def publish(self, statement: str, approver: str = "alice") -> None:
        """Approve, then deliver as the timer would; returns once every destination has it."""
        await self.react(approver, statement)
        await self.runtime.desk.settle()
        channel = re.escape(self.where[approver])
        await self.screen.wait_for(rf"^\[#{channel}\] .*\b{statement} is public")

    def pause_timer(self) -> None:
        """Hold the real scheduler, so approved statements wait for the test's ``run_due``."""
        self.runtime.timer._scheduler.pause()

    async def statement_state(self, number: int, incident_number: int = 1) -> str:
        async with self.runtime.store.unit_of_work() as uow:
            incident = await uow.incidents.by_number(PLATFORM, WORKSPACE, incident_number)
            assert incident is not None and incident.id is not None
            found: Statement | None = await uow.statements.by_number(incident.id, number)
        assert found is not None
        return found.state

    async def get(self, path: str, **headers: str) -> Page:
        async with self.http.get(path, headers=headers, allow_redirects=False) as response:
            return Page(response.status, response.headers, await response.read())


@asynccontextmanager
async def hub_bot(database_url: str, clock: FakeClock, **settings: Any) -> AsyncIterator[HubBot]:
    screen = Screen()
    runtime = await start(
        Settings(_env_file=None, database_url=database_url, http_port=0, **settings),
        console_write=screen.write,
        clock=clock,
    )
    try:
        assert runtime.http is not None
        host, port = runtime.http.addresses[0][:2]
        address = f"http://{host}:{port}"
        async with aiohttp.ClientSession(address) as http:
            base = settings.get("public_url") or address
            yield HubBot(runtime, screen, http, clock, base)
    finally:
        await runtime.stop()


class Outline(HTMLParser):
    """The structure of a page: tags with attributes in document order, and headings."""

    def __init__(self, html: str) -> None:
        super().__init__(convert_charrefs=True)
        self.tags: list[tuple[str, dict[str, str | None]]] = []
        self.headings: list[int] = []
        self.feed(html)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, dict(attrs)))
        if len(tag) == 2 and tag[0] == "h" and tag[1].isdigit():
            self.headings.append(int(tag[1]))

    def all(self, tag: str, **attrs: str) -> list[dict[str, str | None]]:
        return [
            a
            for t, a in self.tags
            if t == tag and all(a.get(k.rstrip("_")) == v for k, v in attrs.items())
        ]
