"""DiscordChat: the ChatPlatform port over discord.py's REST client.

Incident channels live in a category named "Incidents" (created when missing).
Where that category is private (@everyone cannot view it) the bot gives itself,
the opener and the owners access to each incident channel; elsewhere the channel
is as open as the category.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Sequence
from typing import Any, Literal

import discord

from bot.discord.errors import DISCORD_ERRORS, discord_error
from bot.discord.render import emoji_for, render
from commands import ChatError, Message, MessageRef, NewChannel

log = logging.getLogger("candor.discord")

CATEGORY_NAME = "Incidents"
MEMBER_OVERWRITE: Literal[1] = 1  # a permission overwrite's type: 0 role, 1 member
ROLE_CACHE_SECONDS = 60.0
TOPIC_LIMIT = 1024

# What a person needs in an incident channel: read it, talk, vote with reactions.
MEMBER_ACCESS = discord.PermissionOverwrite(
    view_channel=True, send_messages=True, add_reactions=True, read_message_history=True
)
# The bot also posts embeds and pins the summary.
BOT_ACCESS = discord.PermissionOverwrite(
    view_channel=True,
    send_messages=True,
    add_reactions=True,
    read_message_history=True,
    embed_links=True,
    pin_messages=True,
    mention_everyone=True,
)


def _is_private(category: discord.CategoryChannel) -> bool:
    return category.overwrites_for(category.guild.default_role).view_channel is False


class DiscordChat:
    name = "discord"

    def __init__(self, client: discord.Client) -> None:
        self.client = client
        self._members: dict[tuple[int, int], tuple[float, frozenset[int]]] = {}
        self._topics: dict[str, str] = {}
        self._category_lock = asyncio.Lock()  # two incidents opening at once: one category

    async def _guild(self, guild_id: int) -> discord.Guild:
        return self.client.get_guild(guild_id) or await self.client.fetch_guild(guild_id)

    async def _channel(self, channel_id: int) -> discord.abc.GuildChannel:
        channel = self.client.get_channel(channel_id) or await self.client.fetch_channel(channel_id)
        if not isinstance(channel, discord.abc.GuildChannel):
            raise ChatError("that is not a server channel")
        return channel

    def _messageable(self, channel_id: str) -> discord.PartialMessageable:
        return self.client.get_partial_messageable(int(channel_id))

    async def _category(self, guild: discord.Guild) -> discord.CategoryChannel:
        async with self._category_lock:
            for category in guild.categories:
                if category.name.casefold() == CATEGORY_NAME.casefold():
                    return category
            log.info("Discord: creating the %s category in %s", CATEGORY_NAME, guild.name)
            return await guild.create_category(CATEGORY_NAME, reason="Candor incident channels")

    async def create_channel(self, workspace_id: str, name: str, topic: str) -> NewChannel:
        try:
            guild = await self._guild(int(workspace_id))
            category = await self._category(guild)
            overwrites: dict[Any, discord.PermissionOverwrite] = dict(category.overwrites)
            if _is_private(category) and self.client.user is not None:
                # A channel in a private category would shut the bot out of its own channel.
                overwrites[discord.Object(self.client.user.id, type=discord.Member)] = BOT_ACCESS
            channel = await guild.create_text_channel(
                name[:100],
                category=category,
                topic=topic[:TOPIC_LIMIT],
                overwrites=overwrites,
                reason="Candor: incident opened",
            )
        except DISCORD_ERRORS as error:
            raise discord_error(error) from error
        self._topics[str(channel.id)] = topic[:TOPIC_LIMIT]
        return NewChannel(str(channel.id), channel.name)

    async def invite(self, channel_id: str, user_ids: Sequence[str]) -> None:
        users = [u for u in user_ids if u.isdigit()]
        if not users:
            return
        try:
            channel = await self._channel(int(channel_id))
            category = channel.category
            if category is None or not _is_private(category):
                return  # everyone who can see the category can already see the channel
            allow, deny = MEMBER_ACCESS.pair()
            for user in users:  # by id: an owner need not be in the bot's member cache
                await self.client.http.edit_channel_permissions(
                    channel.id,
                    int(user),
                    str(allow.value),
                    str(deny.value),
                    MEMBER_OVERWRITE,
                    reason="Candor: incident owner",
                )
        except DISCORD_ERRORS as error:
            raise discord_error(error) from error

    async def set_topic(self, channel_id: str, topic: str) -> None:
        """Discord allows two topic edits per channel per 10 minutes. The pinned summary is
        the always-current view, so an unchanged topic is not sent and a rate-limited one
        is skipped rather than holding the command up."""
        topic = topic[:TOPIC_LIMIT]
        if self._topics.get(channel_id) == topic:
            return
        try:
            channel = await self._channel(int(channel_id))
            if isinstance(channel, discord.TextChannel):
                await channel.edit(topic=topic, reason="Candor: incident status")
        except discord.RateLimited:
            log.info("Discord: topic of %s not updated (rate-limited)", channel_id)
            return
        except DISCORD_ERRORS as error:
            raise discord_error(error) from error
        self._topics[channel_id] = topic

    async def post(self, channel_id: str, message: Message) -> MessageRef:
        out = render(message)
        try:
            sent = await self._messageable(channel_id).send(
                content=out.content, embed=out.embed, allowed_mentions=out.allowed_mentions
            )
        except DISCORD_ERRORS as error:
            raise discord_error(error) from error
        return MessageRef(channel_id, str(sent.id))

    async def update(self, ref: MessageRef, message: Message) -> None:
        out = render(message)
        partial = self._messageable(ref.channel_id).get_partial_message(int(ref.message_id))
        try:
            await partial.edit(
                content=out.content, embed=out.embed, allowed_mentions=out.allowed_mentions
            )
        except DISCORD_ERRORS as error:
            raise discord_error(error) from error

    async def pin(self, ref: MessageRef) -> None:
        partial = self._messageable(ref.channel_id).get_partial_message(int(ref.message_id))
        try:
            await partial.pin(reason="Candor: incident summary")
        except DISCORD_ERRORS as error:
            raise discord_error(error) from error

    async def add_reactions(self, ref: MessageRef, emojis: Sequence[str]) -> None:
        partial = self._messageable(ref.channel_id).get_partial_message(int(ref.message_id))
        try:
            for emoji in emojis:
                await partial.add_reaction(emoji_for(emoji))
        except DISCORD_ERRORS as error:
            raise discord_error(error) from error

    async def notify(self, channel_id: str, user_id: str, message: Message) -> None:
        """Discord has no ephemeral messages outside a command: a direct message, or, if
        that person takes no DMs from the bot, a message in the channel naming them."""
        out = render(message, pings=False)
        try:
            dm = await self.client.create_dm(discord.Object(int(user_id)))
            await dm.send(embed=out.embed, allowed_mentions=out.allowed_mentions)
            return
        except discord.Forbidden:
            pass
        except DISCORD_ERRORS as error:
            raise discord_error(error) from error
        try:
            await self._messageable(channel_id).send(
                content=f"<@{int(user_id)}>",
                embed=out.embed,
                allowed_mentions=discord.AllowedMentions(
                    everyone=False, roles=False, users=[discord.Object(int(user_id))]
                ),
            )
        except DISCORD_ERRORS as error:
            raise discord_error(error) from error

    async def in_group(self, workspace_id: str, user_id: str, group_id: str) -> bool:
        """Is the member holding that role? Roles are cached briefly per member."""
        if not (workspace_id.isdigit() and user_id.isdigit() and group_id.isdigit()):
            return False
        key = (int(workspace_id), int(user_id))
        cached = self._members.get(key)
        if cached is None or time.monotonic() - cached[0] > ROLE_CACHE_SECONDS:
            try:
                guild = await self._guild(key[0])
                member = await guild.fetch_member(key[1])
            except discord.NotFound:
                return False
            except DISCORD_ERRORS as error:
                raise discord_error(error) from error
            cached = (time.monotonic(), frozenset(role.id for role in member.roles))
            self._members[key] = cached
        return int(group_id) in cached[1]

    def remember_roles(self, guild_id: int, user_id: int, role_ids: Sequence[int]) -> None:
        """A reaction event carries the member's roles: no need to ask Discord again."""
        self._members[(guild_id, user_id)] = (time.monotonic(), frozenset(role_ids))
