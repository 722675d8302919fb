"""Discord API objects as the fake sends them: complete enough that discord.py 2.7's
parsers find every key they read (a missing key kills the client's gateway loop).

Ids are strings on the wire, as Discord sends them; snowflakes are real (time-based),
because discord.py reads a message's age from its id."""

from __future__ import annotations

import itertools
import time
from datetime import UTC, datetime
from typing import Any

DISCORD_EPOCH_MS = 1_420_070_400_000
APP_ID = "1100000000000000001"
BOT_USER_ID = APP_ID  # a bot user shares its application's id
BOT_NAME = "Candor"

# Permission bits used by the fake (https://discord.com/developers/docs/topics/permissions).
ADMINISTRATOR = 1 << 3
ALL_PERMISSIONS = (1 << 51) - 1
DEFAULT_EVERYONE_PERMISSIONS = 104_324_673  # Discord's classic default @everyone set

# Gateway intents the fake honours when dispatching.
GUILDS = 1 << 0
GUILD_MEMBERS = 1 << 1
GUILD_MESSAGES = 1 << 9
GUILD_MESSAGE_REACTIONS = 1 << 10
DIRECT_MESSAGES = 1 << 12
DIRECT_MESSAGE_REACTIONS = 1 << 13
MESSAGE_CONTENT = 1 << 15

_counter = itertools.count(1)


def snowflake() -> str:
    """A fresh, strictly increasing snowflake for now."""
    millis = int(time.time() * 1000) - DISCORD_EPOCH_MS
    return str((millis << 22) | (next(_counter) & 0x3FFFFF))


def timestamp() -> str:
    return datetime.now(UTC).isoformat()


def user(user_id: str, name: str, *, bot: bool = False) -> dict[str, Any]:
    return {
        "id": user_id,
        "username": name,
        "global_name": None if bot else name.title(),
        "discriminator": "0",
        "avatar": None,
        "bot": bot,
        "system": False,
        "public_flags": 0,
        "flags": 0,
        "banner": None,
        "accent_color": None,
        "avatar_decoration_data": None,
        "primary_guild": None,
        "collectibles": None,
    }


def role(role_id: str, name: str, permissions: int, position: int) -> dict[str, Any]:
    return {
        "id": role_id,
        "name": name,
        "permissions": str(permissions),
        "position": position,
        "color": 0,
        "colors": {"primary_color": 0, "secondary_color": None, "tertiary_color": None},
        "hoist": False,
        "icon": None,
        "unicode_emoji": None,
        "managed": False,
        "mentionable": False,
        "flags": 0,
    }


def member(user_object: dict[str, Any], roles: list[str], joined_at: str) -> dict[str, Any]:
    """A guild member as GUILD_CREATE and GET /guilds/{g}/members/{u} send it."""
    return {
        "user": dict(user_object),
        "nick": None,
        "avatar": None,
        "banner": None,
        "roles": list(roles),
        "joined_at": joined_at,
        "premium_since": None,
        "deaf": False,
        "mute": False,
        "flags": 0,
        "pending": False,
        "communication_disabled_until": None,
        "avatar_decoration_data": None,
    }


def channel(
    channel_id: str,
    guild_id: str,
    name: str,
    type: int,
    position: int,
    *,
    parent_id: str | None,
    topic: str | None,
    overwrites: list[dict[str, Any]],
) -> dict[str, Any]:
    data: dict[str, Any] = {
        "id": channel_id,
        "type": type,
        "guild_id": guild_id,
        "name": name,
        "position": position,
        "permission_overwrites": overwrites,
        "parent_id": parent_id,
        "nsfw": False,
        "flags": 0,
    }
    if type != 4:  # categories have no topic, slowmode or last message
        data.update(
            topic=topic,
            last_message_id=None,
            rate_limit_per_user=0,
            default_auto_archive_duration=1440,
            default_thread_rate_limit_per_user=0,
        )
    return data


def overwrite(target_id: str, type: int, allow: int = 0, deny: int = 0) -> dict[str, Any]:
    """A permission overwrite; type 0 = role, 1 = member."""
    return {"id": str(target_id), "type": type, "allow": str(allow), "deny": str(deny)}


def guild(guild_id: str, name: str, owner_id: str, roles: list[dict[str, Any]]) -> dict[str, Any]:
    """The guild object of GET /guilds/{g} (GUILD_CREATE adds the gateway-only keys)."""
    return {
        "id": guild_id,
        "name": name,
        "icon": None,
        "splash": None,
        "discovery_splash": None,
        "banner": None,
        "owner_id": owner_id,
        "afk_channel_id": None,
        "afk_timeout": 300,
        "verification_level": 0,
        "default_message_notifications": 1,
        "explicit_content_filter": 0,
        "roles": roles,
        "emojis": [],
        "stickers": [],
        "features": ["NEWS", "COMMUNITY"],
        "mfa_level": 0,
        "application_id": None,
        "system_channel_id": None,
        "system_channel_flags": 0,
        "rules_channel_id": None,
        "public_updates_channel_id": None,
        "safety_alerts_channel_id": None,
        "vanity_url_code": None,
        "description": None,
        "premium_tier": 0,
        "premium_subscription_count": 0,
        "preferred_locale": "en-US",
        "nsfw_level": 0,
        "premium_progress_bar_enabled": False,
        "max_members": 500000,
        "max_video_channel_users": 25,
    }


def application(owner: dict[str, Any]) -> dict[str, Any]:
    """GET /oauth2/applications/@me (Client.login reads it)."""
    return {
        "id": APP_ID,
        "name": BOT_NAME,
        "description": "",
        "icon": None,
        "bot_public": False,
        "bot_require_code_grant": False,
        "owner": owner,
        "team": None,
        "verify_key": "0" * 64,
        "flags": 0,
        "summary": "",
        "rpc_origins": [],
        "redirect_uris": [],
        "tags": [],
        "interactions_endpoint_url": None,
    }


def ready(
    bot: dict[str, Any], guild_ids: list[str], session_id: str, resume_url: str
) -> dict[str, Any]:
    return {
        "v": 10,
        "user": dict(bot, verified=True, mfa_enabled=False, email=None),
        "guilds": [{"id": g, "unavailable": True} for g in guild_ids],
        "session_id": session_id,
        "session_type": "normal",
        "resume_gateway_url": resume_url,
        "shard": [0, 1],
        "application": {"id": APP_ID, "flags": 0},
        "private_channels": [],
        "relationships": [],
        "presences": [],
        "guild_join_requests": [],
        "geo_ordered_rtc_regions": [],
        "user_settings": {},
        "_trace": ["fake-discord"],
    }


def message(
    message_id: str,
    channel_id: str,
    author: dict[str, Any],
    fields: dict[str, Any],
    *,
    type: int = 0,
) -> dict[str, Any]:
    """A message as POST /channels/{c}/messages returns it (mentions filled in later)."""
    return {
        "id": message_id,
        "channel_id": channel_id,
        "type": type,
        "author": dict(author),
        "content": fields.get("content") or "",
        "timestamp": timestamp(),
        "edited_timestamp": None,
        "tts": bool(fields.get("tts", False)),
        "mention_everyone": False,
        "mentions": [],
        "mention_roles": [],
        "mention_channels": [],
        "attachments": [],
        "embeds": list(fields.get("embeds") or []),
        "reactions": [],
        "nonce": fields.get("nonce"),
        "pinned": False,
        "flags": int(fields.get("flags") or 0),
        "components": list(fields.get("components") or []),
        "sticker_items": [],
    }
