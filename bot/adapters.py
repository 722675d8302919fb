"""The contract every chat platform implements, and how destinations are registered.

A platform (Slack, Discord, the console...) is one folder under ``bot/`` whose adapter
class satisfies ``Adapter``, plus one line in ``bot/registry.py``. ``bot/app.py`` builds
the adapters the settings ask for and drives them all the same way:

    build → check → attach → start → (elected ⇄ deposed) → stop

The platform's own words (how the public knows it, how APPROVERS names its groups) are
class attributes, so they are known even when the platform is not configured (a
postmortem names a place published to before the settings changed).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, ClassVar, Protocol

from aiohttp import web

from bot.priority import TeamFirst
from bot.settings import Settings
from commands import ChatPlatform, Desk, Destination

if TYPE_CHECKING:
    from bot.console.platform import ConsoleChat

DestinationFactory = Callable[[str], Destination]


@dataclass(frozen=True)
class DestinationKind:
    """One prefix of ``PUBLIC_DESTINATIONS`` (``slack:``, ``webhook:``, ``email:``...)."""

    build: DestinationFactory  # the target after the prefix → a destination
    target: str = "<channel>"  # how the target is written, for the start-up error
    place: str | None = None  # how the public knows the place (postmortems); None: its label


@dataclass(frozen=True)
class StartOptions:
    """What ``bot.app.start`` is given besides the settings."""

    console_write: Callable[[str], None] | None = None  # the console platform is on
    discord_options: dict[str, Any] = field(default_factory=dict)  # for discord.py's Client
    # The console's chat, already holding what it had before a restart (bot/console/state.py)
    console_chat: ConsoleChat | None = None


class Adapter(Protocol):
    """A chat platform. Setting-up mistakes raise ``bot.startup.StartupError`` with the fix."""

    name: ClassVar[str]  # the platform key: ChannelRef.platform, the ``slack:`` prefix
    place: ClassVar[str | None]  # how the public knows it ("Slack"); None: the label
    group_word: ClassVar[str]  # APPROVERS' word for its groups: slack:group:S1, discord:role:7

    @property
    def chat(self) -> ChatPlatform: ...

    @property
    def feed_channel(self) -> str | None:
        """The incidents feed when INCIDENTS_FEED names none here."""
        ...

    @property
    def public_channel(self) -> str | None:
        """A channel it always publishes to, before PUBLIC_DESTINATIONS."""
        ...

    @property
    def ack_path(self) -> str | None:
        """The HTTP route whose acks /metrics times, if it has one."""
        ...

    @classmethod
    def build(cls, settings: Settings, options: StartOptions) -> Adapter | None:
        """The adapter, or None when the settings do not ask for this platform."""
        ...

    def destination(self, target: str) -> Destination:
        """``PUBLIC_DESTINATIONS`` ``<name>:<target>`` → a public channel (ValueError: bad)."""
        ...

    async def check(self) -> None:
        """Before anything else starts: are the tokens accepted, does the platform answer?"""
        ...

    def attach(self, desk: Desk, http: web.Application, team_first: TeamFirst) -> None:
        """Route the platform's commands and reactions to the desk."""
        ...

    async def start(self) -> None: ...

    async def stop(self) -> None: ...

    async def elected(self) -> None:
        """This replica now leads (at once with one replica)."""
        ...

    async def deposed(self) -> None:
        """Another replica leads now."""
        ...
