"""Seeding and inspection of the fake Discord's state (the FakeDiscord base class):
what tests put in before the client connects, and read back after it acted."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from tests.fakes import discord_payloads as payloads
from tests.fakes.discord_commands import Commands
from tests.fakes.discord_gateway import Gateway
from tests.fakes.discord_guilds import World
from tests.fakes.discord_messages import Messages
from tests.fakes.discord_rest import Call, Rest


class DiscordState:
    world: World
    rest: Rest
    gateway: Gateway
    commands: Commands
    _messages: Messages

    # -- seeding ---------------------------------------------------------------------------------

    def add_guild(
        self, guild_id: int | str, name: str = "Acme", *, owner_id: int | str | None = None
    ) -> dict[str, Any]:
        """A guild with its @everyone role (id == guild id) and the bot as a member. Add
        the owner with add_member (interactions give the owner every permission)."""
        owner = str(owner_id) if owner_id is not None else payloads.BOT_USER_ID
        return self.world.add_guild(str(guild_id), name, owner).to_api()

    def add_role(
        self, guild_id: int | str, role_id: int | str, name: str, permissions: int = 0
    ) -> dict[str, Any]:
        return self.world.add_role(str(guild_id), str(role_id), name, permissions)

    def add_member(
        self,
        guild_id: int | str,
        user_id: int | str,
        name: str,
        roles: Iterable[int | str] = (),
        permissions: int | None = None,
        *,
        bot: bool = False,
    ) -> dict[str, Any]:
        """A member (and its user). `permissions`: the total an interaction reports for
        them; by default computed from @everyone and their roles."""
        return self.world.add_member(
            str(guild_id), str(user_id), name, [str(r) for r in roles], permissions, bot=bot
        )

    def add_channel(
        self,
        guild_id: int | str,
        channel_id: int | str,
        name: str,
        type: int = 0,
        parent_id: int | str | None = None,
        overwrites: Iterable[dict[str, Any]] = (),
        *,
        topic: str | None = None,
    ) -> dict[str, Any]:
        """0 text, 4 category, 5 announcement. Overwrites: {"id", "type" (0 role, 1
        member), "allow", "deny"} — payloads.overwrite() builds one."""
        fields = {
            "id": str(channel_id),
            "name": name,
            "type": type,
            "topic": topic,
            "parent_id": None if parent_id is None else str(parent_id),
            "permission_overwrites": list(overwrites),
        }
        return dict(self.world.add_channel(str(guild_id), fields).data)

    def add_message(
        self, channel_id: int | str, user_id: int | str, content: str, **fields: Any
    ) -> dict[str, Any]:
        """A message someone else posted earlier (no event: the client never saw it)."""
        channel = self.world.text_channel(channel_id)
        author = self.world.user(user_id)
        message, _ = self._messages.post(channel, {"content": content, **fields}, author)
        return message

    # -- inspection ------------------------------------------------------------------------------

    @property
    def calls(self) -> list[Call]:
        return self.rest.calls

    def calls_to(self, route: str) -> list[Call]:
        """Calls to a route template, e.g. "POST /channels/{channel_id}/messages"."""
        return [c for c in self.rest.calls if c.route == route]

    def messages(self, channel_id: int | str) -> list[dict[str, Any]]:
        """Stored messages, oldest first, as Discord returns them (ephemeral replies are
        not in a channel: see Interaction.followups)."""
        return list(self.world.channel(channel_id).messages)

    def message(self, channel_id: int | str, message_id: int | str) -> dict[str, Any]:
        return self.world.channel(channel_id).message(str(message_id))

    def pins(self, channel_id: int | str) -> list[str]:
        """Pinned message ids, most recently pinned first."""
        return [message_id for message_id, _ in self.world.channel(channel_id).pins]

    def reactions(self, channel_id: int | str, message_id: int | str) -> dict[str, list[str]]:
        """emoji -> user ids who reacted (the bot's id for its own reactions)."""
        by_emoji = self.world.channel(channel_id).reactions.get(str(message_id), {})
        return {emoji: list(users) for emoji, users in by_emoji.items() if users}

    def dms(self, user_id: int | str) -> list[dict[str, Any]]:
        """Messages in the bot's DM channel with `user_id`, oldest first ([] if none)."""
        channel_id = self.world.dms.get(str(user_id))
        return [] if channel_id is None else list(self.world.channels[channel_id].messages)

    def close_dms(self, user_id: int | str) -> None:
        """`user_id` accepts no DMs: sending to their DM channel answers 403 50007."""
        self.world.dms_closed.add(str(user_id))

    @property
    def crossposts(self) -> list[str]:
        return self._messages.crossposts

    def channels(self, guild_id: int | str) -> list[dict[str, Any]]:
        guild = self.world.guild(guild_id)
        return [dict(self.world.channels[c].data) for c in guild.channel_ids]

    def channel(self, channel_id: int | str) -> dict[str, Any]:
        return dict(self.world.channel(channel_id).data)

    def channel_by_name(self, guild_id: int | str, name: str) -> dict[str, Any] | None:
        return next((c for c in self.channels(guild_id) if c["name"] == name), None)

    def synced_commands(self, guild_id: int | str | None = None) -> list[dict[str, Any]]:
        return self.commands.listed(None if guild_id is None else str(guild_id))

    @property
    def identifies(self) -> int:
        return self.gateway.identifies

    @property
    def resumes(self) -> int:
        return self.gateway.resumes

    @property
    def connected(self) -> bool:
        """Whether a gateway websocket is open."""
        return self.gateway.open_sockets > 0

    @property
    def intents(self) -> int | None:
        """The intents of the latest IDENTIFY (None before any)."""
        return self.gateway.intents[-1] if self.gateway.intents else None
