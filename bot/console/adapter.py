"""The console as a platform (``bot.adapters.Adapter``): on when ``candor console`` runs.

Its channel ``#public`` always takes the published statements and ``#incidents`` is the
feed, so a person at the terminal sees what a team would without configuring anything.
"""

from __future__ import annotations

from typing import ClassVar

from aiohttp import web

from bot.adapters import StartOptions
from bot.console.platform import PLATFORM, ConsoleChat
from bot.priority import TeamFirst
from bot.settings import Settings
from commands import ChatChannelDestination, Desk


class ConsoleAdapter:
    name: ClassVar[str] = PLATFORM
    place: ClassVar[str | None] = None  # a console channel is named by its label
    group_word: ClassVar[str] = "group"  # the console has no groups; entries keep the usual form
    feed_channel = "incidents"
    public_channel = "public"
    ack_path = None

    @classmethod
    def build(cls, settings: Settings, options: StartOptions) -> ConsoleAdapter | None:
        if options.console_chat is not None:
            return cls(options.console_chat)
        return None if options.console_write is None else cls(ConsoleChat(options.console_write))

    def __init__(self, chat: ConsoleChat) -> None:
        self.chat = chat

    def destination(self, channel: str) -> ChatChannelDestination:
        return ChatChannelDestination(
            self.chat, channel, f"{PLATFORM}:{channel}", f"#{channel} (console)"
        )

    async def check(self) -> None:
        """In process: nothing to reach."""

    def attach(self, desk: Desk, http: web.Application, team_first: TeamFirst) -> None:
        """The terminal's lines reach the desk through ``bot.console.repl``."""

    async def start(self) -> None: ...

    async def stop(self) -> None: ...

    async def elected(self) -> None: ...

    async def deposed(self) -> None: ...
