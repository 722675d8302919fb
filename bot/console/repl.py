"""The console REPL: the same grammar as Slack, typed in a terminal.

Lines starting with ``/incident`` (or a bare verb) are commands; lines starting
with ``:`` control the console (``bot.console.meta``); anything else is said in the
current channel. Each line is handled to completion, then due work (reminders,
publishing) runs, so what a line caused is printed before the next prompt.

Typed at a terminal, lines come from ``bot.console.terminal`` (line editing, history,
completion, several lines at once); piped in, from standard input as they are.
"""

from __future__ import annotations

import asyncio
import os
import stat
import sys
from collections.abc import Callable

from bot.console.meta import QUIT, MetaCommands
from bot.console.platform import PLATFORM, WORKSPACE
from bot.console.session import ConsoleSession
from bot.console.state import Whereabouts
from commands import VERBS, Actor, ChannelRef, Reply

from .platform import render

WELCOME = "Candor console — type /incident help, or :help for console commands."


class ConsoleRepl:
    def __init__(self, session: ConsoleSession, write: Callable[[str], None]) -> None:
        self.session, self.write = session, write
        self.meta = MetaCommands(self)

    @property
    def where(self) -> Whereabouts:
        """Who is typing where: the session's, saved with the chat."""
        return self.session.where

    @property
    def prompt(self) -> str:
        return f"{self.where.user}@#{self.where.channel}> "

    async def run(self, reader: asyncio.StreamReader, echo: bool) -> None:
        """Lines from a pipe (or a terminal with no line editing), one at a time."""
        self.write(WELCOME)
        while True:
            if not echo:
                sys.stdout.write(self.prompt)
                sys.stdout.flush()
            raw = await reader.readline()
            if not raw:
                break
            line = raw.decode("utf-8", errors="replace").strip()
            if echo and line:
                self.write(f"{self.prompt}{line}")
            if not await self.handle(line):
                break

    async def handle(self, text: str) -> bool:
        """Handle one entry (perhaps several lines); False when the person leaves."""
        line = text.strip()
        if not line or line.startswith("#"):
            return True
        if line.startswith(":"):
            if line.split()[0].lower() in QUIT:
                return False
            await self.meta.run(line[1:])
        elif line.startswith("/incident") or line.split()[0].lower() in VERBS:
            await self._command(line)
        else:
            self.write(f"[#{self.where.channel}] {self.where.user}: {line}".replace("\n", "\n    "))
        await self.session.desk.settle()  # deterministic output: what a line set off is shown
        self.session.save()
        return True

    def show(self, reply: Reply | None) -> None:
        if reply is None:
            return
        marker = "✖ " if reply.is_error else ""
        who = f"(only @{self.where.user} sees this) " if reply.ephemeral else ""
        self.write(
            f"[#{self.where.channel}] {who}{marker}{render(reply.message)}".replace("\n", "\n    ")
        )

    def actor(self) -> Actor:
        return Actor(PLATFORM, self.where.user, self.where.user)

    def here(self) -> ChannelRef:
        return ChannelRef(PLATFORM, WORKSPACE, self.where.channel)

    async def _command(self, line: str) -> None:
        chat = self.session.chat
        before = set(chat.channels)
        reply = await self.session.desk.handle_text(line, self.actor(), self.here())
        self.show(reply)
        created = [c for c in chat.channels if c not in before]
        for name in created:
            if self.where.user in chat.channels[name].members:
                self.where.channel = name
                self.write(f"(you are now in #{name})")


async def stdin_reader() -> asyncio.StreamReader:
    loop = asyncio.get_running_loop()
    reader = asyncio.StreamReader()
    mode = os.fstat(sys.stdin.fileno()).st_mode
    if not (stat.S_ISFIFO(mode) or stat.S_ISSOCK(mode) or sys.stdin.isatty()):
        # A file or /dev/null (a service with no platform token): the event loop cannot
        # watch it, and reading it never waits. Its lines, then the end of the console.
        reader.feed_data(sys.stdin.buffer.read())
        reader.feed_eof()
        return reader
    await loop.connect_read_pipe(lambda: asyncio.StreamReaderProtocol(reader), sys.stdin)
    return reader
