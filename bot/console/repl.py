"""The console REPL: the same grammar as Slack, typed in a terminal.

Lines starting with ``/incident`` (or a bare verb) are commands; lines starting
with ``:`` control the console; anything else is said in the current channel.
Each line is handled to completion, then due work (reminders, publishing) runs,
so what a line caused is printed before the next prompt.
"""

from __future__ import annotations

import asyncio
import os
import stat
import sys
from collections.abc import Callable

from bot.console.platform import PLATFORM, WORKSPACE, ConsoleChat
from commands import (
    DURATION_HELP,
    VERBS,
    Actor,
    ChannelRef,
    Clock,
    Desk,
    Reaction,
    Reply,
    ShiftedClock,
    parse_duration,
)

from .platform import render

CONSOLE_HELP = """\
Console commands:
  /incident <command>      the same commands as in Slack (try `/incident help`)
  :as <name>               switch who is typing (default: you)
  :react <emoji> <S1|m12>  react to a draft (✅ / white_check_mark approves, ❌ / x rejects)
  :unreact <emoji> <S1|m12> take a reaction back
  :channel <name>          switch channel (:channels lists them)
  :skip <duration>         rehearsal: move the clock forward (e.g. :skip 10m) and run what fell due
  :public                  what has reached the public channel so far
  :quit                    leave (Ctrl-D works too)"""


class ConsoleRepl:
    def __init__(
        self, desk: Desk, chat: ConsoleChat, clock: Clock, write: Callable[[str], None]
    ) -> None:
        self.desk, self.chat, self.clock, self.write = desk, chat, clock, write
        self.user = "you"
        self.channel = "general"

    @property
    def prompt(self) -> str:
        return f"{self.user}@#{self.channel}> "

    async def run(self, reader: asyncio.StreamReader, echo: bool) -> None:
        self.write("Candor console — type /incident help, or :help for console commands.")
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
            if line in (":quit", ":q", ":exit"):
                break
            await self.handle(line)

    async def handle(self, line: str) -> None:
        if not line or line.startswith("#"):
            return
        if line.startswith(":"):
            await self._meta(line[1:].split())
        elif line.startswith("/incident") or line.split()[0].lower() in VERBS:
            await self._command(line)
        else:
            self.write(f"[#{self.channel}] {self.user}: {line}")
        await self.desk.settle()  # deterministic output: what a line set off is shown

    def _show(self, reply: Reply | None) -> None:
        if reply is None:
            return
        marker = "✖ " if reply.is_error else ""
        who = f"(only @{self.user} sees this) " if reply.ephemeral else ""
        self.write(
            f"[#{self.channel}] {who}{marker}{render(reply.message)}".replace("\n", "\n    ")
        )

    async def _command(self, line: str) -> None:
        before = set(self.chat.channels)
        actor = Actor(PLATFORM, self.user, self.user)
        reply = await self.desk.handle_text(
            line, actor, ChannelRef(PLATFORM, WORKSPACE, self.channel)
        )
        self._show(reply)
        created = [c for c in self.chat.channels if c not in before]
        for name in created:
            if self.user in self.chat.channels[name].members:
                self.channel = name
                self.write(f"(you are now in #{name})")

    async def _meta(self, words: list[str]) -> None:
        command, args = (words[0].lower(), words[1:]) if words else ("help", [])
        if command == "as" and len(args) == 1:
            self.user = args[0].lstrip("@")
            self.write(f"(now typing as @{self.user})")
        elif command in ("react", "unreact") and len(args) == 2:
            await self._react(args[0], args[1], added=command == "react")
        elif command in ("channel", "join") and len(args) == 1:
            name = args[0].lstrip("#")
            if name not in self.chat.channels:
                self.write(f"✖ No channel #{name}. :channels lists them.")
            else:
                self.channel = name
                self.chat.channels[name].members.add(self.user)
        elif command == "channels":
            for channel in self.chat.channels.values():
                self.write(f"#{channel.name}  {channel.topic}")
        elif command == "skip" and len(args) == 1:
            self._skip(args[0])
        elif command == "public":
            for posted in self.chat.channels["public"].messages:
                self.write(f"[#public] {render(posted.message)}".replace("\n", "\n    "))
        else:
            self.write(CONSOLE_HELP)

    def _skip(self, value: str) -> None:
        delta = parse_duration(value)
        if delta is None or not isinstance(self.clock, ShiftedClock):
            self.write(f"✖ :skip takes {DURATION_HELP}.")
            return
        self.clock.skip(delta)
        self.write(f"(clock moved forward {value}; it is now {self.clock.now():%H:%M} UTC)")

    async def _react(self, emoji: str, target: str, added: bool) -> None:
        if target.lower().startswith("m"):
            message_id = target.lower()
        else:
            posted = self.chat.statement_message(self.channel, target)
            if posted is None:
                self.write(f"✖ No draft {target} in #{self.channel}. Switch with :channel.")
                return
            message_id = posted.message_id
        reaction = Reaction(
            channel=ChannelRef(PLATFORM, WORKSPACE, self.channel),
            message_id=message_id,
            actor=Actor(PLATFORM, self.user, self.user),
            emoji=emoji,
            added=added,
        )
        self.write(
            f"[#{self.channel}] @{self.user} {'reacted' if added else 'removed'} "
            f"{emoji} on {message_id}"
        )
        self._show(await self.desk.react(reaction))


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
