"""What the core needs from the outside world, and the neutral messages it speaks.

Adapters implement ``ChatPlatform`` (Slack, Discord, console), ``Destination``
(public places a statement goes) and ``Timer`` (APScheduler). Messages are built
from segments so that user text is always plain text: a mention or a channel
ping exists only where the core put one on purpose.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Protocol, runtime_checkable

from commands.domain import clean_name


@dataclass(frozen=True)
class Actor:
    """Who typed or reacted: a platform user id plus the name to show."""

    platform: str
    user_id: str
    name: str = ""

    def __post_init__(self) -> None:
        # Cleaned once, here, whichever adapter made it: a profile name is user text
        # that reaches every output (a stray control character once broke the feed).
        object.__setattr__(self, "name", clean_name(self.name))


@dataclass(frozen=True)
class ChannelRef:
    """Where something happened: platform, workspace (Slack team / Discord guild), channel."""

    platform: str
    workspace_id: str
    channel_id: str


# --- message segments -------------------------------------------------------


@dataclass(frozen=True)
class Mention:
    """Ping one user on purpose."""

    user_id: str


@dataclass(frozen=True)
class ChannelPing:
    """Ping everyone in the channel (only the escalation ladder uses this)."""


@dataclass(frozen=True)
class Strong:
    text: str


@dataclass(frozen=True)
class Link:
    url: str
    label: str


Segment = str | Mention | ChannelPing | Strong | Link
Line = tuple[Segment, ...]


@dataclass(frozen=True)
class Message:
    """A neutral message: a title, lines of segments, optional label/value fields."""

    lines: tuple[Line, ...] = ()
    title: str | None = None
    fields: tuple[tuple[str, str], ...] = ()
    footer: str | None = None

    def plain(self) -> str:
        """Plain text rendering (console, notifications, fallbacks)."""
        out: list[str] = []
        if self.title:
            out.append(self.title)
        out.extend(render_plain(line) for line in self.lines)
        out.extend(f"{label}: {value}" for label, value in self.fields)
        if self.footer:
            out.append(self.footer)
        return "\n".join(out)


def render_plain(line: Line) -> str:
    parts: list[str] = []
    for segment in line:
        if isinstance(segment, str):
            parts.append(segment)
        elif isinstance(segment, Mention):
            parts.append(f"@{segment.user_id}")
        elif isinstance(segment, ChannelPing):
            parts.append("@here")
        elif isinstance(segment, Strong):
            parts.append(segment.text)
        else:
            parts.append(f"{segment.label} <{segment.url}>")
    return "".join(parts)


def text(*lines: str | Line) -> Message:
    """A message from plain strings and/or segment tuples."""
    return Message(lines=tuple((line,) if isinstance(line, str) else line for line in lines))


@dataclass(frozen=True)
class Reply:
    """What a handler returns to the person who asked."""

    message: Message
    ephemeral: bool = False
    is_error: bool = False
    duplicate: bool = False  # a redelivered event: adapters show nothing

    @property
    def plain(self) -> str:
        return self.message.plain()


@dataclass(frozen=True)
class MessageRef:
    channel_id: str
    message_id: str


@dataclass(frozen=True)
class NewChannel:
    channel_id: str
    name: str


class ChatError(Exception):
    """The chat platform refused a call; ``reason`` is something a person can act on
    (e.g. "the bot lacks the channels:manage scope")."""

    def __init__(self, reason: str, *, retryable: bool = False) -> None:
        super().__init__(reason)
        self.reason = reason
        self.retryable = retryable


class ChatPlatform(Protocol):
    """The chat a team works in (one per platform). Refusals raise ``ChatError``."""

    name: str

    async def create_channel(self, workspace_id: str, name: str, topic: str) -> NewChannel: ...

    async def invite(self, channel_id: str, user_ids: Sequence[str]) -> None: ...

    async def set_topic(self, channel_id: str, topic: str) -> None: ...

    async def post(self, channel_id: str, message: Message) -> MessageRef: ...

    async def update(self, ref: MessageRef, message: Message) -> None: ...

    async def pin(self, ref: MessageRef) -> None: ...

    async def add_reactions(self, ref: MessageRef, emojis: Sequence[str]) -> None: ...

    async def notify(self, channel_id: str, user_id: str, message: Message) -> None:
        """Tell one user something only they see (ephemeral where the platform has it)."""
        ...

    async def in_group(self, workspace_id: str, user_id: str, group_id: str) -> bool:
        """Is the user in a platform group (Slack user group, Discord role)?"""
        ...


@dataclass(frozen=True)
class CorrectedRef:
    """The published statement a correction corrects, as it went out."""

    statement_ref: str
    kind: str
    body: str
    signer: str | None
    published_at: datetime
    # The original's message at the destination being served (its delivery's external
    # id); None where the original never got there, so there is nothing to edit.
    external_id: str | None = None


@dataclass(frozen=True)
class Publication:
    """Everything a destination needs to publish one approved statement."""

    delivery_id: int
    incident_id: int
    incident_ref: str
    incident_title: str
    severity: str
    state: str
    statement_ref: str
    kind: str
    body: str
    signer: str | None
    published_at: datetime
    hub_url: str | None = None
    attempt: int = 1  # >1: an earlier attempt may have reached the destination
    queued_at: datetime | None = None  # when the delivery row was written (stable per delivery)
    corrects: CorrectedRef | None = None  # set for a correction (kind "correction")


class DeliveryFailed(Exception):
    """A destination could not take the statement; ``retryable`` says whether to try again,
    ``retry_after`` when the destination asked to be left alone for a while (HTTP 429)."""

    def __init__(
        self, reason: str, *, retryable: bool = True, retry_after: timedelta | None = None
    ) -> None:
        super().__init__(reason)
        self.reason = reason
        self.retryable = retryable
        self.retry_after = retry_after


class Destination(Protocol):
    """A public place approved statements go (a channel, the hub, a webhook, email).

    Optional attributes the outbox reads (``commands.publishing.attempts``): ``timeout``, the
    seconds one ``deliver`` may take before it is given up and retried later (default
    60), and ``concurrency``, how many deliveries (of different incidents) it takes at
    once (default 4). A wrapper must pass them through."""

    key: str
    label: str

    async def deliver(self, publication: Publication) -> str:
        """Publish and return the external id (message id, HTTP id...)."""
        ...


@runtime_checkable
class Amendable(Protocol):
    """A destination that can edit what it published (chat messages; the hub). For a
    correction the outbox first posts it with ``deliver``, then calls ``amend`` to mark
    the original message corrected. Destinations without it just get the correction."""

    async def amend(self, publication: Publication, original_external_id: str) -> None:
        """Edit the message ``original_external_id`` (what ``deliver`` returned for
        ``publication.corrects``) to read ``amended_message(publication)``. Called again
        after a crash or a lost answer: editing twice must leave the same result. Raise
        ``DeliveryFailed`` when the platform refuses (retryable or not)."""
        ...


class Timer(Protocol):
    """Something that calls ``Desk.run_due`` at (or soon after) a given time."""

    def wake_at(self, when: datetime) -> None: ...


@dataclass
class NullTimer:
    """A timer that only remembers what it was asked (tests drive ``run_due`` themselves)."""

    requested: list[datetime] = field(default_factory=list)

    def wake_at(self, when: datetime) -> None:
        self.requested.append(when)
