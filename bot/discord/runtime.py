"""Assembles the Discord side: the discord.py client, the ``/incident`` commands, reactions.

Intents are the minimum: guilds (channels, roles) and guild reactions (votes).
No message content: Candor never reads what people write in channels, only
what they give it through commands and reactions.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from typing import Any, ClassVar

import discord
import yarl
from aiohttp import web
from discord import app_commands
from discord.gateway import DiscordWebSocket

from bot.adapters import StartOptions
from bot.discord.commands import build_group
from bot.discord.destination import DiscordChannelDestination
from bot.discord.errors import DISCORD_ERRORS, discord_error
from bot.discord.interactions import PLATFORM
from bot.discord.invite import PERMISSIONS, invite_url
from bot.discord.platform import DiscordChat
from bot.priority import TeamFirst
from bot.settings import Settings
from bot.startup import StartupError
from commands import Actor, ChannelRef, Desk, Reaction, Reply

log = logging.getLogger("candor.discord")

# A rate limit longer than this fails the call (a delivery is retried by the outbox later)
# instead of holding a command or a publication for minutes (discord.py's floor is 30 s).
MAX_RATELIMIT_WAIT = 30.0


class DiscordConfigError(Exception):
    """Discord settings that cannot work; the message says which and why."""


def intents() -> discord.Intents:
    wanted = discord.Intents.none()
    wanted.guilds = True
    wanted.guild_reactions = True
    return wanted


def point_at(api_url: str | None, gateway_url: str | None) -> None:
    """``DISCORD_API_URL`` / ``DISCORD_GATEWAY_URL``: a proxy, or a fake in tests.
    discord.py reads both from class attributes, so this is process-wide."""
    if api_url:
        discord.http.Route.BASE = api_url.rstrip("/")
    if gateway_url:
        DiscordWebSocket.DEFAULT_GATEWAY = yarl.URL(gateway_url)


def missing_permissions(guild: discord.Guild) -> list[str]:
    """What the bot's roles in a server do not grant, of what the invite URL asks for."""
    me = guild.me
    if me is None:
        return []
    granted = me.guild_permissions
    return [name for name, wanted in PERMISSIONS if wanted and not getattr(granted, name)]


class CandorClient(discord.Client):
    def __init__(self, guild_id: int | None, **options: Any) -> None:
        super().__init__(intents=intents(), max_ratelimit_timeout=MAX_RATELIMIT_WAIT, **options)
        self.tree = app_commands.CommandTree(self)
        self.guild = discord.Object(guild_id) if guild_id else None
        self.desk: Desk | None = None
        self.team_first = TeamFirst()
        self.chat = DiscordChat(self)

    async def sync_commands(self) -> None:
        """Sync the commands: to one guild at once when DISCORD_GUILD_ID is set, else
        globally (Discord may take up to an hour to show global commands everywhere)."""
        synced = await self.tree.sync(guild=self.guild)
        where = f"guild {self.guild.id}" if self.guild else "all servers"
        log.info("Discord: %d command group(s) synced to %s", len(synced), where)

    async def on_ready(self) -> None:
        log.info("Discord: connected as %s to %d server(s)", self.user, len(self.guilds))
        if self.application_id is not None:
            log.info("Discord: invite the bot with %s", invite_url(self.application_id))
        for guild in self.guilds:
            lacking = missing_permissions(guild)
            if lacking:
                log.warning(
                    "Discord: in %s the bot lacks %s; re-invite it with the URL above",
                    guild.name,
                    ", ".join(lacking),
                )

    async def on_raw_reaction_add(self, payload: discord.RawReactionActionEvent) -> None:
        await self._reaction(payload, added=True)

    async def on_raw_reaction_remove(self, payload: discord.RawReactionActionEvent) -> None:
        await self._reaction(payload, added=False)

    async def _reaction(self, payload: discord.RawReactionActionEvent, *, added: bool) -> None:
        """Raw events: a vote counts on any message, cached or not (a draft posted before a
        restart, or by another replica)."""
        if self.desk is None or payload.guild_id is None:
            return
        if self.user is not None and payload.user_id == self.user.id:
            return  # the ✅ and ❌ the bot seeded are not votes
        if payload.member is not None:
            roles = [role.id for role in payload.member.roles]
            self.chat.remember_roles(payload.guild_id, payload.user_id, roles)
        name = payload.member.display_name if payload.member is not None else ""
        channel = ChannelRef(PLATFORM, str(payload.guild_id), str(payload.channel_id))
        reaction = Reaction(
            channel=channel,
            message_id=str(payload.message_id),
            actor=Actor(PLATFORM, str(payload.user_id), name),
            emoji=payload.emoji.name or str(payload.emoji),
            added=added,
        )
        with self.team_first.working():
            await self._tell(channel, str(payload.user_id), await self.desk.react(reaction))

    async def _tell(self, channel: ChannelRef, user_id: str, reply: Reply | None) -> None:
        """Only refusals are worth a message: the draft itself shows every counted vote."""
        if reply is None or reply.duplicate or not reply.is_error:
            return
        try:
            await self.chat.notify(channel.channel_id, user_id, reply.message)
        except Exception:
            log.exception("Discord: could not tell %s why their vote did not count", user_id)


def _report_end(connection: asyncio.Task[None]) -> None:
    """discord.py reconnects by itself; it gives up only on what a person must fix."""
    if not connection.cancelled() and connection.exception() is not None:
        log.error("Discord: the gateway connection ended: %s", connection.exception())


class DiscordAdapter:
    """The Discord platform (``bot.adapters.Adapter``)."""

    name: ClassVar[str] = PLATFORM
    place: ClassVar[str | None] = "Discord"
    group_word: ClassVar[str] = "role"  # discord:role:789, a server role
    feed_channel = None
    public_channel = None
    ack_path = None  # interactions arrive over the gateway

    @classmethod
    def build(cls, settings: Settings, options: StartOptions) -> DiscordAdapter | None:
        return cls(settings, **options.discord_options) if settings.has_discord else None

    def __init__(self, settings: Settings, **client_options: Any) -> None:
        """``client_options`` go to discord.py's Client (tests: ``guild_ready_timeout``)."""
        assert settings.discord_bot_token is not None
        self._token = settings.discord_bot_token
        point_at(settings.discord_api_url, settings.discord_gateway_url)
        self.client = CandorClient(settings.discord_guild_id, **client_options)
        self.chat = self.client.chat
        self._connection: asyncio.Task[None] | None = None
        self._stopped = False

    def destination(self, channel_id: str) -> DiscordChannelDestination:
        return DiscordChannelDestination(self.client, channel_id)

    def attach(self, desk: Desk, http: web.Application, team_first: TeamFirst) -> None:
        self.client.desk = desk
        self.client.team_first = team_first
        self.client.tree.add_command(build_group(desk, team_first), guild=self.client.guild)

    async def check(self) -> None:
        try:
            await self.check_token()
        except DiscordConfigError as error:
            await self.stop()
            raise StartupError(str(error)) from error

    async def check_token(self) -> None:
        """Log in over REST: a rejected token stops the start, clearly and without the token."""
        try:
            await self.client.login(self._token.get_secret_value())
        except discord.LoginFailure as error:
            raise DiscordConfigError("Discord: DISCORD_BOT_TOKEN was rejected.") from error
        except (discord.HTTPException, OSError) as error:
            raise DiscordConfigError(f"Discord: could not log in ({error}).") from error

    async def start(self) -> None:
        """Register the ``/incident`` commands with Discord (REST; every replica may)."""
        try:
            await self.client.sync_commands()
        except DISCORD_ERRORS as error:
            reason = discord_error(error).reason
            raise StartupError(
                f"Discord: could not register the /incident commands ({reason})."
            ) from error

    async def elected(self) -> None:
        """Open the gateway, where commands and reactions arrive. One replica holds it (the
        leader): Discord would deliver each event to every connection otherwise. Returns at
        once: the leader's timers must not wait for Discord to say ready."""
        if self._connection is not None and not self._connection.done():
            return
        if self.client.is_closed():  # released earlier: open a fresh session
            self.client.clear()
            await self.client.login(self._token.get_secret_value())
        self._connection = asyncio.create_task(self.client.connect(reconnect=True))
        self._connection.add_done_callback(_report_end)

    async def deposed(self) -> None:
        """Another replica leads now: close the gateway, keep the REST session for
        publishing and replies."""
        if self._stopped:
            return
        await self._close()
        self.client.clear()
        await self.client.login(self._token.get_secret_value())

    async def _close(self) -> None:
        await self.client.close()
        if self._connection is not None:
            with contextlib.suppress(Exception, asyncio.CancelledError):
                await self._connection
            self._connection = None

    async def stop(self) -> None:
        self._stopped = True
        await self._close()
