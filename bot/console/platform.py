"""An in-process chat platform that prints to a terminal.

Channels, members, pins and reactions are kept in memory; every message is
printed as it is posted or edited, so a person at the console sees what a team
on Slack would see.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from commands import Message, MessageRef, NewChannel, render_plain

PLATFORM = "console"
WORKSPACE = "local"
DEFAULT_CHANNELS = ("general", "incidents", "public")


def render(message: Message) -> str:
    lines = [f"【{message.title}】"] if message.title else []
    lines.extend(render_plain(line) for line in message.lines)
    lines.extend(f"{label}: {value}" for label, value in message.fields)
    if message.footer:
        lines.append(f"  ({message.footer})")
    return "\n".join(lines)


@dataclass
class Posted:
    message_id: str
    message: Message
    reactions: dict[str, set[str]] = field(default_factory=dict)


@dataclass
class Channel:
    name: str
    topic: str = ""
    members: set[str] = field(default_factory=set)
    messages: list[Posted] = field(default_factory=list)
    pins: list[str] = field(default_factory=list)


class ConsoleChat:
    """ChatPlatform for the console. Channel ids are channel names."""

    name = PLATFORM

    def __init__(self, write: Callable[[str], None]) -> None:
        self.write = write
        self.channels: dict[str, Channel] = {n: Channel(n) for n in DEFAULT_CHANNELS}
        self.next_number = 1  # message numbers go on across runs (bot/console/state.py)

    def _say(self, channel_id: str, text: str) -> None:
        indent = "\n    "
        self.write(f"[#{channel_id}] {text.replace(chr(10), indent)}")

    async def create_channel(self, workspace_id: str, name: str, topic: str) -> NewChannel:
        final, suffix = name, 2
        while final in self.channels:  # like Slack's name_taken: add a suffix
            final, suffix = f"{name[:76]}-{suffix}", suffix + 1
        self.channels[final] = Channel(final, topic=topic)
        self.write(f"(channel #{final} created)")
        return NewChannel(channel_id=final, name=final)

    def continue_numbering(self, next_number: int) -> None:
        self.next_number = max(self.next_number, next_number)

    async def invite(self, channel_id: str, user_ids: Sequence[str]) -> None:
        channel = self.channels[channel_id]
        new = [u for u in user_ids if u not in channel.members]
        channel.members.update(new)
        if new:
            self._say(channel_id, f"{', '.join('@' + u for u in new)} joined")

    async def set_topic(self, channel_id: str, topic: str) -> None:
        self.channels[channel_id].topic = topic

    async def post(self, channel_id: str, message: Message) -> MessageRef:
        posted = Posted(f"m{self.next_number}", message)
        self.next_number += 1
        self.channels.setdefault(channel_id, Channel(channel_id)).messages.append(posted)
        self._say(channel_id, f"Candor ({posted.message_id}): {render(message)}")
        return MessageRef(channel_id, posted.message_id)

    async def update(self, ref: MessageRef, message: Message) -> None:
        posted = self.find(ref)
        if posted is not None and posted.message != message:
            posted.message = message
            title = f"【{message.title}】" if message.title else ""
            self._say(ref.channel_id, f"(message {ref.message_id} updated) {title}")

    async def pin(self, ref: MessageRef) -> None:
        self.channels[ref.channel_id].pins.append(ref.message_id)

    async def add_reactions(self, ref: MessageRef, emojis: Sequence[str]) -> None:
        posted = self.find(ref)
        if posted is not None:
            for emoji in emojis:
                posted.reactions.setdefault(emoji, set()).add("candor")

    async def notify(self, channel_id: str, user_id: str, message: Message) -> None:
        self._say(channel_id, f"(only @{user_id} sees this) {render(message)}")

    async def in_group(self, workspace_id: str, user_id: str, group_id: str) -> bool:
        return False  # the console has no user groups; use console:<name> or role:<role>

    def find(self, ref: MessageRef) -> Posted | None:
        channel = self.channels.get(ref.channel_id)
        if channel is None:
            return None
        return next((p for p in channel.messages if p.message_id == ref.message_id), None)

    def statement_message(self, channel_id: str, statement: str) -> Posted | None:
        """The newest live draft message of ``S<n>`` in a channel (what a person would react to)."""
        channel = self.channels.get(channel_id)
        prefix = f"{statement.upper()} · "
        for posted in reversed(channel.messages if channel else []):
            title = posted.message.title or ""
            if title.startswith(prefix) and "superseded" not in title:
                return posted
        return None
