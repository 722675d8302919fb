"""The console's own ``:`` commands. Each says exactly what was wrong with a line it
cannot run (the form it takes, the message it could not find) and that nothing
happened; only ``:help`` prints the whole list."""

from __future__ import annotations

import difflib
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from bot.console.platform import render
from commands import DURATION_HELP, MessageRef, Reaction, normalise_emoji, parse_duration

if TYPE_CHECKING:
    from bot.console.repl import ConsoleRepl

QUIT = (":quit", ":q", ":exit")

CONSOLE_HELP = """\
Console commands:
  /incident <command>      the same commands as in Slack (try `/incident help`)
  :as <name>               switch who is typing (default: you)
  :react <emoji> <S1|m12>  react to a draft (✅ / white_check_mark approves, ❌ / x rejects)
  :unreact <emoji> <S1|m12> take a reaction back
  :channel <name>          switch channel (:channels lists them)
  :skip <duration>         rehearsal: move the clock forward (e.g. :skip 10m) and run what fell
                           due, on a scratch copy of the database (the first :skip switches)
  :public                  what has reached the public channel so far
  :quit                    leave (Ctrl-D works too)
Keys (in a terminal): ←/→ edit, ↑/↓ earlier lines, Tab completes, Esc Enter or a line
ending in \\ starts a new line, Enter sends."""


@dataclass(frozen=True)
class Form:
    """One ``:`` command: its arguments by name, for the usage line and the error."""

    args: tuple[str, ...]
    example: str
    run: Callable[[MetaCommands, list[str]], Awaitable[None]]


class MetaCommands:
    def __init__(self, repl: ConsoleRepl) -> None:
        self.repl = repl
        self.write = repl.write

    async def run(self, text: str) -> None:
        words = text.split()
        if not words:
            self.write("✖ A `:` needs a console command after it, e.g. :help.")
            return
        name, args = words[0].lower(), words[1:]
        form = FORMS.get(ALIASES.get(name, name))
        if form is None:
            self.write(f"✖ There is no console command :{name[:40]}.{_suggestion(name)}")
            return
        if len(args) != len(form.args):
            self.write(_wrong_count(ALIASES.get(name, name), form, args))
            return
        await form.run(self, args)

    async def as_(self, args: list[str]) -> None:
        self.repl.where.user = args[0].lstrip("@")
        self.write(f"(now typing as @{self.repl.where.user})")

    async def channel(self, args: list[str]) -> None:
        name = args[0].lstrip("#")
        chat = self.repl.session.chat
        if name not in chat.channels:
            self.write(f"✖ No channel #{name}. :channels lists them.")
            return
        self.repl.where.channel = name
        chat.channels[name].members.add(self.repl.where.user)

    async def channels(self, args: list[str]) -> None:
        for channel in self.repl.session.chat.channels.values():
            here = " (you are here)" if channel.name == self.repl.where.channel else ""
            self.write(f"#{channel.name}{here}  {channel.topic}")

    async def public(self, args: list[str]) -> None:
        for posted in self.repl.session.chat.channels["public"].messages:
            self.write(f"[#public] {render(posted.message)}".replace("\n", "\n    "))

    async def help(self, args: list[str]) -> None:
        self.write(CONSOLE_HELP)

    async def skip(self, args: list[str]) -> None:
        delta = parse_duration(args[0])
        if delta is None:
            self.write(f"✖ :skip takes {DURATION_HELP}. Usage: :skip <duration>, e.g. :skip 10m")
            return
        session = self.repl.session
        if not session.rehearsing:
            self.write("(switching to rehearsal: the real database keeps no future times)")
            await session.rehearse()
        session.clock.skip(delta)
        self.write(f"(clock moved forward {args[0]}; it is now {session.clock.now():%H:%M} UTC)")

    async def react(self, args: list[str]) -> None:
        await self._react(args, added=True)

    async def unreact(self, args: list[str]) -> None:
        await self._react(args, added=False)

    async def _react(self, args: list[str], added: bool) -> None:
        emoji, target = args
        session, where = self.repl.session, self.repl.where
        if target.lower().startswith("m") and target[1:].isdigit():
            message_id = target.lower()
            if session.chat.find(MessageRef(where.channel, message_id)) is None:
                self.write(f"✖ No message {message_id} in #{where.channel}: nothing happened.")
                return
        else:
            posted = session.chat.statement_message(where.channel, target)
            if posted is None:
                self.write(f"✖ No draft {target} in #{where.channel}. Switch with :channel.")
                return
            message_id = posted.message_id
        policy = session.desk.deps.approval
        if normalise_emoji(emoji) not in (policy.approve_emoji, policy.reject_emoji):
            self.write(
                f"✖ {emoji} is not a vote: :{policy.approve_emoji}: approves and "
                f":{policy.reject_emoji}: rejects. Nothing happened."
            )
            return
        reaction = Reaction(
            channel=self.repl.here(),
            message_id=message_id,
            actor=self.repl.actor(),
            emoji=emoji,
            added=added,
        )
        self.write(
            f"[#{where.channel}] @{where.user} {'reacted' if added else 'removed'} "
            f"{emoji} on {message_id}"
        )
        reply = await session.desk.react(reaction)
        if reply is None:
            self.write(
                f"✖ {message_id} is not a draft: only drafts take votes, so that reaction "
                "counts for nothing."
            )
        self.repl.show(reply)


FORMS: dict[str, Form] = {
    "as": Form(("name",), ":as dana", MetaCommands.as_),
    "react": Form(("emoji", "S-number or message"), ":react ✅ S1", MetaCommands.react),
    "unreact": Form(("emoji", "S-number or message"), ":unreact ✅ S1", MetaCommands.unreact),
    "channel": Form(("name",), ":channel incidents", MetaCommands.channel),
    "channels": Form((), ":channels", MetaCommands.channels),
    "skip": Form(("duration",), ":skip 10m", MetaCommands.skip),
    "public": Form((), ":public", MetaCommands.public),
    "help": Form((), ":help", MetaCommands.help),
}
ALIASES = {"join": "channel", "h": "help", "?": "help"}


def usage(name: str, form: Form) -> str:
    return " ".join([f":{name}", *(f"<{arg}>" for arg in form.args)])


def _wrong_count(name: str, form: Form, args: list[str]) -> str:
    if len(args) < len(form.args):
        missing = " and ".join(form.args[len(args) :])
        return (
            f"✖ :{name} needs the {missing}. Usage: {usage(name, form)}, "
            f"e.g. {form.example}. Nothing happened."
        )
    if not form.args:
        return f"✖ :{name} takes nothing after it. Usage: {usage(name, form)}."
    return (
        f"✖ :{name} takes {len(form.args)} word{'s' if len(form.args) > 1 else ''}, "
        f"not {len(args)}. Usage: {usage(name, form)}, e.g. {form.example}. Nothing happened."
    )


def _suggestion(name: str) -> str:
    close = difflib.get_close_matches(name, [*FORMS, "quit"], n=1)
    hint = f" Did you mean :{close[0]}?" if close else ""
    return f"{hint} :help lists them."
