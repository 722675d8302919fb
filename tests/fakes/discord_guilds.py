"""The fake Discord's world: users, guilds with their roles and members, and channels.
Lookups raise `DiscordError` with the status and JSON error code Discord answers for
the same mistake, so REST handlers can let them propagate."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from tests.fakes import discord_payloads as p


class DiscordError(Exception):
    """An error answer: `{"message": ..., "code": ...}` (plus `errors` for 50035)."""

    def __init__(
        self, status: int, code: int, message: str, errors: dict[str, Any] | None = None
    ) -> None:
        super().__init__(f"{status} {code} {message}")
        self.status = status
        self.code = code
        self.message = message
        self.errors = errors

    def body(self) -> dict[str, Any]:
        body: dict[str, Any] = {"message": self.message, "code": self.code}
        if self.errors is not None:
            body["errors"] = self.errors
        return body


def invalid_form(field_name: str, code: str, message: str) -> DiscordError:
    """400 50035 Invalid Form Body, with the per-field error tree Discord sends."""
    errors = {field_name: {"_errors": [{"code": code, "message": message}]}}
    return DiscordError(400, 50035, "Invalid Form Body", errors)


def unknown(what: str) -> DiscordError:
    codes = {
        "Guild": 10004,
        "Channel": 10003,
        "Message": 10008,
        "User": 10013,
        "Member": 10007,
        "Role": 10011,
        "Overwrite": 10009,
        "Webhook": 10015,
        "interaction": 10062,
        "application command": 10063,
        "Emoji": 10014,
    }
    return DiscordError(404, codes[what], f"Unknown {what}")


@dataclass
class Guild:
    id: str
    name: str
    owner_id: str
    joined_at: str = field(default_factory=p.timestamp)
    roles: dict[str, dict[str, Any]] = field(default_factory=dict)
    members: dict[str, dict[str, Any]] = field(default_factory=dict)
    # Explicit permission totals for members (what interactions carry); else from roles.
    permissions: dict[str, int] = field(default_factory=dict)
    channel_ids: list[str] = field(default_factory=list)

    def role(self, role_id: str) -> dict[str, Any]:
        if role_id not in self.roles:
            raise unknown("Role")
        return self.roles[role_id]

    def member(self, user_id: str) -> dict[str, Any]:
        if user_id not in self.members:
            raise unknown("Member")
        return self.members[user_id]

    def member_permissions(self, user_id: str) -> int:
        """What `member.permissions` says in an interaction: the explicit value given to
        add_member, else @everyone's and the member's roles' bits (owner: everything)."""
        if user_id in self.permissions:
            return self.permissions[user_id]
        if user_id == self.owner_id:
            return p.ALL_PERMISSIONS
        bits = 0
        for role_id in [self.id, *self.member(user_id)["roles"]]:
            bits |= int(self.roles[role_id]["permissions"])
        return p.ALL_PERMISSIONS if bits & p.ADMINISTRATOR else bits

    def to_api(self) -> dict[str, Any]:
        roles = sorted(self.roles.values(), key=lambda r: (r["position"], r["id"]))
        return p.guild(self.id, self.name, self.owner_id, [dict(r) for r in roles])


@dataclass
class Channel:
    data: dict[str, Any]
    messages: list[dict[str, Any]] = field(default_factory=list)
    pins: list[tuple[str, str]] = field(default_factory=list)  # (message id, pinned_at)
    # message id -> emoji -> user ids, in the order they reacted
    reactions: dict[str, dict[str, list[str]]] = field(default_factory=dict)

    @property
    def id(self) -> str:
        return str(self.data["id"])

    @property
    def guild_id(self) -> str:
        """The guild's id; "" for a DM channel (which has none)."""
        return str(self.data.get("guild_id") or "")

    @property
    def type(self) -> int:
        return int(self.data["type"])

    def message(self, message_id: str) -> dict[str, Any]:
        for message in self.messages:
            if message["id"] == message_id:
                return message
        raise unknown("Message")


TEXT, DM, CATEGORY, ANNOUNCEMENT = 0, 1, 4, 5
MESSAGE_CHANNEL_TYPES = (TEXT, DM, ANNOUNCEMENT)


@dataclass
class World:
    users: dict[str, dict[str, Any]] = field(default_factory=dict)
    guilds: dict[str, Guild] = field(default_factory=dict)
    channels: dict[str, Channel] = field(default_factory=dict)

    dms: dict[str, str] = field(default_factory=dict)  # user id -> DM channel id
    dms_closed: set[str] = field(default_factory=set)  # users who accept no DMs from bots

    def __post_init__(self) -> None:
        self.bot = p.user(p.BOT_USER_ID, p.BOT_NAME.lower(), bot=True)
        self.users[p.BOT_USER_ID] = self.bot

    # -- lookups -----------------------------------------------------------

    def guild(self, guild_id: object) -> Guild:
        if str(guild_id) not in self.guilds:
            raise unknown("Guild")
        return self.guilds[str(guild_id)]

    def channel(self, channel_id: object) -> Channel:
        if str(channel_id) not in self.channels:
            raise unknown("Channel")
        return self.channels[str(channel_id)]

    def text_channel(self, channel_id: object) -> Channel:
        """A channel messages can be posted in (a category is not one)."""
        channel = self.channel(channel_id)
        if channel.type not in MESSAGE_CHANNEL_TYPES:
            raise DiscordError(400, 50008, "Cannot send messages in a non-text channel")
        return channel

    def user(self, user_id: object) -> dict[str, Any]:
        if str(user_id) not in self.users:
            raise unknown("User")
        return self.users[str(user_id)]

    def open_dm(self, user_id: object) -> Channel:
        """POST /users/@me/channels: the DM channel with a user, created once."""
        user = self.user(user_id)
        if user["id"] not in self.dms:
            channel_id = p.snowflake()
            data = {"id": channel_id, "type": DM, "last_message_id": None, "flags": 0,
                    "recipients": [dict(user)]}  # fmt: skip
            self.channels[channel_id] = Channel(data)
            self.dms[user["id"]] = channel_id
        return self.channels[self.dms[user["id"]]]

    def check_can_post(self, channel: Channel) -> None:
        """A DM to someone who closed their DMs fails as on Discord (403 50007)."""
        if channel.type == DM and channel.data["recipients"][0]["id"] in self.dms_closed:
            raise DiscordError(403, 50007, "Cannot send messages to this user")

    # -- seeding -----------------------------------------------------------

    def add_guild(self, guild_id: str, name: str, owner_id: str) -> Guild:
        guild = Guild(guild_id, name, owner_id)
        guild.roles[guild_id] = p.role(guild_id, "@everyone", p.DEFAULT_EVERYONE_PERMISSIONS, 0)
        self.guilds[guild_id] = guild
        self.add_member(guild_id, p.BOT_USER_ID, p.BOT_NAME.lower(), roles=())
        return guild

    def add_role(self, guild_id: str, role_id: str, name: str, permissions: int) -> dict[str, Any]:
        guild = self.guild(guild_id)
        position = max(r["position"] for r in guild.roles.values()) + 1
        guild.roles[role_id] = p.role(role_id, name, permissions, position)
        return guild.roles[role_id]

    def add_member(
        self,
        guild_id: str,
        user_id: str,
        name: str,
        roles: tuple[str, ...] | list[str],
        permissions: int | None = None,
        *,
        bot: bool = False,
    ) -> dict[str, Any]:
        guild = self.guild(guild_id)
        for role_id in roles:
            guild.role(role_id)  # a typo in a test's role id fails here, not later
        user = self.users[user_id] = p.user(user_id, name, bot=bot or user_id == p.BOT_USER_ID)
        guild.members[user_id] = p.member(user, list(roles), guild.joined_at)
        if permissions is not None:
            guild.permissions[user_id] = permissions
        return guild.members[user_id]

    def add_channel(self, guild_id: str, fields: dict[str, Any]) -> Channel:
        guild = self.guild(guild_id)
        channel_id = str(fields.get("id") or p.snowflake())
        kind = int(fields.get("type", TEXT))
        parent_id = fields.get("parent_id")
        if parent_id is not None:
            parent = self.channel(parent_id)
            if parent.type != CATEGORY or parent.guild_id != guild.id:
                raise invalid_form("parent_id", "CHANNEL_PARENT_INVALID", "Not a category")
        data = p.channel(
            channel_id,
            guild.id,
            channel_name(str(fields.get("name") or ""), kind),
            kind,
            int(fields.get("position", len(guild.channel_ids))),
            parent_id=None if parent_id is None else str(parent_id),
            topic=fields.get("topic"),
            overwrites=[normal_overwrite(o) for o in fields.get("permission_overwrites") or []],
        )
        self.channels[channel_id] = Channel(data)
        guild.channel_ids.append(channel_id)
        return self.channels[channel_id]

    def guild_create(self, guild_id: str) -> dict[str, Any]:
        """The GUILD_CREATE payload: the guild with channels, members and gateway keys."""
        guild = self.guild(guild_id)
        data = guild.to_api()
        data.update(
            joined_at=guild.joined_at,
            large=False,
            unavailable=False,
            member_count=len(guild.members),
            channels=[self._without_guild_id(c) for c in guild.channel_ids],
            members=[dict(m) for m in guild.members.values()],
            voice_states=[],
            presences=[],
            threads=[],
            stage_instances=[],
            guild_scheduled_events=[],
            soundboard_sounds=[],
        )
        return data

    def _without_guild_id(self, channel_id: str) -> dict[str, Any]:
        data = dict(self.channels[channel_id].data)
        data.pop("guild_id", None)
        return data


def channel_name(name: str, kind: int) -> str:
    """Discord lowercases text channel names and turns spaces into dashes."""
    if not 1 <= len(name) <= 100:
        raise invalid_form("name", "BASE_TYPE_BAD_LENGTH", "Must be between 1 and 100 in length.")
    if kind == CATEGORY:
        return name
    return "-".join(name.lower().split())


def normal_overwrite(data: dict[str, Any]) -> dict[str, Any]:
    if "id" not in data or data.get("type") not in (0, 1):
        raise invalid_form("permission_overwrites", "BASE_TYPE_REQUIRED", "id and type 0|1")
    return p.overwrite(
        str(data["id"]), int(data["type"]), int(data.get("allow") or 0), int(data.get("deny") or 0)
    )
