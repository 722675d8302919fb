"""A recording chat platform for core tests: keeps channels and messages in memory,
can be told to fail, and answers group membership from a table."""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from dataclasses import dataclass, field

from commands.ports import ChannelPing, ChatError, Mention, Message, MessageRef, NewChannel
from storage import in_unit_of_work


class ChatDown(ChatError):
    """The fake platform refusing, as a real one would with an API error."""


@dataclass
class Sent:
    channel_id: str
    message_id: str
    message: Message
    edits: list[Message] = field(default_factory=list)

    @property
    def current(self) -> Message:
        return self.edits[-1] if self.edits else self.message

    @property
    def text(self) -> str:
        return self.current.plain()

    def mentions(self) -> list[str]:
        return [s.user_id for line in self.current.lines for s in line if isinstance(s, Mention)]

    def pings_channel(self) -> bool:
        return any(isinstance(s, ChannelPing) for line in self.current.lines for s in line)


def outside_transactions() -> None:
    """A platform call inside a write transaction holds the database for as long as the
    platform takes (issue 14): the fake refuses it, so any such call fails its test."""
    assert not in_unit_of_work(), "a platform call inside a write transaction"


@dataclass
class RecordingChat:
    name: str = "chat"
    channels: dict[str, dict[str, object]] = field(default_factory=dict)
    sent: list[Sent] = field(default_factory=list)
    invites: list[tuple[str, tuple[str, ...]]] = field(default_factory=list)
    pins: list[MessageRef] = field(default_factory=list)
    reactions: list[tuple[MessageRef, str]] = field(default_factory=list)
    notices: list[tuple[str, str, Message]] = field(default_factory=list)
    groups: dict[str, set[str]] = field(default_factory=dict)
    fail_create: bool = False
    fail_post_to: set[str] = field(default_factory=set)
    # message id → how many more edits of it fail (retryably unless refuse_edits)
    fail_edits_of: dict[str, int] = field(default_factory=dict)
    refuse_edits: bool = False
    _ids: itertools.count[int] = field(default_factory=lambda: itertools.count(1))

    async def create_channel(self, workspace_id: str, name: str, topic: str) -> NewChannel:
        outside_transactions()
        if self.fail_create:
            raise ChatDown("create_channel refused")
        channel_id = f"C{next(self._ids):04d}"
        self.channels[channel_id] = {"name": name, "topic": topic, "workspace": workspace_id}
        return NewChannel(channel_id, name)

    async def invite(self, channel_id: str, user_ids: Sequence[str]) -> None:
        outside_transactions()
        self.invites.append((channel_id, tuple(user_ids)))

    async def set_topic(self, channel_id: str, topic: str) -> None:
        outside_transactions()
        self.channels.setdefault(channel_id, {})["topic"] = topic

    async def post(self, channel_id: str, message: Message) -> MessageRef:
        outside_transactions()
        if channel_id in self.fail_post_to:
            raise ChatDown(f"cannot post to {channel_id}")
        sent = Sent(channel_id, f"M{next(self._ids)}", message)
        self.sent.append(sent)
        return MessageRef(channel_id, sent.message_id)

    async def update(self, ref: MessageRef, message: Message) -> None:
        outside_transactions()
        if self.fail_edits_of.get(ref.message_id, 0) > 0:
            self.fail_edits_of[ref.message_id] -= 1
            raise ChatDown(f"cannot edit {ref.message_id}", retryable=not self.refuse_edits)
        for sent in self.sent:
            if sent.message_id == ref.message_id:
                sent.edits.append(message)

    async def pin(self, ref: MessageRef) -> None:
        outside_transactions()
        self.pins.append(ref)

    async def add_reactions(self, ref: MessageRef, emojis: Sequence[str]) -> None:
        outside_transactions()
        self.reactions.extend((ref, emoji) for emoji in emojis)

    async def notify(self, channel_id: str, user_id: str, message: Message) -> None:
        outside_transactions()
        self.notices.append((channel_id, user_id, message))

    async def in_group(self, workspace_id: str, user_id: str, group_id: str) -> bool:
        outside_transactions()
        return user_id in self.groups.get(group_id, set())

    # --- what tests look at ---------------------------------------------------

    def in_channel(self, channel_id: str) -> list[Sent]:
        return [s for s in self.sent if s.channel_id == channel_id]

    def texts(self, channel_id: str) -> list[str]:
        return [s.text for s in self.in_channel(channel_id)]

    def draft_message(self, statement: str) -> Sent:
        """The newest message carrying the draft ``S<n>`` (what a person would react to)."""
        for sent in reversed(self.sent):
            title = sent.current.title or ""
            if title.startswith(f"{statement} · ") and "superseded" not in title:
                return sent
        raise AssertionError(f"no draft message for {statement}")
