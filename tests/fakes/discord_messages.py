"""Messages in the fake Discord: posting (with the pings `allowed_mentions` lets through,
and `enforce_nonce` dedupe), editing, history, pins, reactions and crossposts."""

from __future__ import annotations

import re
import time
from dataclasses import dataclass, field
from typing import Any

from tests.fakes import discord_payloads as p
from tests.fakes.discord_guilds import (
    ANNOUNCEMENT,
    Channel,
    DiscordError,
    World,
    invalid_form,
    unknown,
)

USER_MENTION = re.compile(r"<@!?(\d+)>")
ROLE_MENTION = re.compile(r"<@&(\d+)>")
EVERYONE_MENTION = re.compile(r"@(?:everyone|here)\b")
NONCE_WINDOW_SECONDS = 300  # Discord remembers an enforced nonce for a few minutes
MAX_CONTENT = 2000
MAX_EMBEDS = 10
MAX_NONCE = 25
EPHEMERAL = 1 << 6
LOADING = 1 << 7


@dataclass
class Pings:
    """Who a message would actually notify, given its content and allowed_mentions."""

    everyone: bool
    users: list[str]
    roles: list[str]


def pings(content: str, allowed: dict[str, Any] | None) -> Pings:
    """Discord's rule: with no allowed_mentions everything parses; with one, a mention
    pings only if its kind is in `parse` or its id is listed in `users` / `roles`."""
    if allowed is None:
        allowed = {"parse": ["users", "roles", "everyone"]}
    parse = set(allowed.get("parse") or [])
    listed_users = {str(u) for u in allowed.get("users") or []}
    listed_roles = {str(r) for r in allowed.get("roles") or []}
    for kind, listed in (("users", listed_users), ("roles", listed_roles)):
        if kind in parse and listed:
            raise invalid_form(
                "allowed_mentions",
                "MESSAGE_ALLOWED_MENTIONS_PARSE_EXCLUSIVE",
                f'parse:["{kind}"] and {kind}: [ids] are mutually exclusive.',
            )
    users = [
        u
        for u in dict.fromkeys(USER_MENTION.findall(content))
        if "users" in parse or u in listed_users
    ]
    roles = [
        r
        for r in dict.fromkeys(ROLE_MENTION.findall(content))
        if "roles" in parse or r in listed_roles
    ]
    everyone = "everyone" in parse and EVERYONE_MENTION.search(content) is not None
    return Pings(everyone, users, roles)


def validate_body(body: dict[str, Any], *, creating: bool) -> None:
    content = body.get("content")
    if content is not None and len(str(content)) > MAX_CONTENT:
        raise invalid_form("content", "BASE_TYPE_MAX_LENGTH", "Must be 2000 or fewer in length.")
    embeds = body.get("embeds")
    if embeds is not None and len(embeds) > MAX_EMBEDS:
        raise invalid_form("embeds", "BASE_TYPE_MAX_LENGTH", "Must be 10 or fewer in length.")
    nonce = body.get("nonce")
    if isinstance(nonce, str) and len(nonce) > MAX_NONCE:
        raise invalid_form("nonce", "BASE_TYPE_MAX_LENGTH", "Must be 25 or fewer in length.")
    has_body = content or embeds or body.get("components") or body.get("sticker_ids")
    if creating and not has_body:
        raise DiscordError(400, 50006, "Cannot send an empty message")


@dataclass
class Messages:
    world: World
    crossposts: list[str] = field(default_factory=list)
    # (channel id, nonce) -> (message id, monotonic time it was first used)
    nonces: dict[tuple[str, str], tuple[str, float]] = field(default_factory=dict)

    def post(
        self, channel: Channel, body: dict[str, Any], author: dict[str, Any], *, type: int = 0
    ) -> tuple[dict[str, Any], bool]:
        """Store a message; returns it and whether it is new (False: an enforced nonce
        matched a recent message, which Discord returns instead of posting again)."""
        validate_body(body, creating=True)
        nonce = body.get("nonce")
        key = (channel.id, str(nonce))
        if nonce is not None and body.get("enforce_nonce") and key in self.nonces:
            message_id, at = self.nonces[key]
            if time.monotonic() - at < NONCE_WINDOW_SECONDS:
                return channel.message(message_id), False
        message = p.message(p.snowflake(), channel.id, author, body, type=type)
        self.mention(message, body.get("allowed_mentions"))
        channel.messages.append(message)
        channel.data["last_message_id"] = message["id"]
        if nonce is not None:
            self.nonces[key] = (message["id"], time.monotonic())
        return message, True

    def mention(self, message: dict[str, Any], allowed: dict[str, Any] | None) -> None:
        found = pings(message["content"], allowed)
        message["mention_everyone"] = found.everyone
        message["mentions"] = [
            dict(self.world.users[u]) for u in found.users if u in self.world.users
        ]
        message["mention_roles"] = found.roles

    def edit(self, channel: Channel, message_id: str, body: dict[str, Any]) -> dict[str, Any]:
        message = channel.message(message_id)
        if message["author"]["id"] != p.BOT_USER_ID:
            raise DiscordError(403, 50005, "Cannot edit a message authored by another user")
        return self.apply_edit(message, body)

    def apply_edit(self, message: dict[str, Any], body: dict[str, Any]) -> dict[str, Any]:
        """Change a message in place as PATCH does: only the keys the body names."""
        validate_body(body, creating=False)
        for key, empty in (("content", ""), ("embeds", []), ("components", [])):
            if key in body:
                message[key] = body[key] if body[key] is not None else empty
        if body.get("flags") is not None:
            # Only SUPPRESS_EMBEDS can be toggled by an edit; the rest are kept.
            message["flags"] = (message["flags"] & ~4) | (int(body["flags"]) & 4)
        message["flags"] &= ~LOADING  # an edit replaces a deferred "is thinking..." message
        if "content" in body or "allowed_mentions" in body:
            self.mention(message, body.get("allowed_mentions"))
        message["edited_timestamp"] = p.timestamp()
        return message

    def delete(self, channel: Channel, message_id: str) -> None:
        channel.messages.remove(channel.message(message_id))
        channel.pins = [pin for pin in channel.pins if pin[0] != message_id]
        channel.reactions.pop(message_id, None)

    def history(
        self, channel: Channel, limit: int, before: str | None, after: str | None
    ) -> list[dict[str, Any]]:
        """Newest first, like GET /channels/{c}/messages."""
        if not 1 <= limit <= 100:
            raise invalid_form("limit", "NUMBER_TYPE_MAX", "int value should be 1-100.")
        ordered = channel.messages
        if after is not None:
            return list(reversed([m for m in ordered if int(m["id"]) > int(after)][:limit]))
        if before is not None:
            ordered = [m for m in ordered if int(m["id"]) < int(before)]
        return list(reversed(ordered[-limit:]))

    # -- pins ----------------------------------------------------------------

    def pin(self, channel: Channel, message_id: str) -> bool:
        message = channel.message(message_id)
        if message["pinned"]:
            return False
        if len(channel.pins) >= 250:
            raise DiscordError(400, 30003, "Maximum number of pins reached (250)")
        message["pinned"] = True
        channel.pins.insert(0, (message_id, p.timestamp()))
        return True

    def unpin(self, channel: Channel, message_id: str) -> None:
        channel.message(message_id)["pinned"] = False
        channel.pins = [pin for pin in channel.pins if pin[0] != message_id]

    def pins_page(self, channel: Channel, limit: int, before: str | None) -> dict[str, Any]:
        pins = [pin for pin in channel.pins if before is None or pin[1] < before]
        items = [{"pinned_at": at, "message": channel.message(mid)} for mid, at in pins]
        return {"items": items[:limit], "has_more": len(items) > limit}

    # -- reactions -------------------------------------------------------------

    def react(self, channel: Channel, message_id: str, user_id: str, emoji: str) -> bool:
        """Add a reaction; False if this user already had it (no event, like Discord)."""
        message = channel.message(message_id)
        users = channel.reactions.setdefault(message_id, {}).setdefault(emoji, [])
        if user_id in users:
            return False
        users.append(user_id)
        self._summarise(message, channel.reactions[message_id])
        return True

    def unreact(self, channel: Channel, message_id: str, user_id: str, emoji: str) -> bool:
        message = channel.message(message_id)
        users = channel.reactions.get(message_id, {}).get(emoji, [])
        if user_id not in users:
            return False
        users.remove(user_id)
        self._summarise(message, channel.reactions[message_id])
        return True

    def _summarise(self, message: dict[str, Any], by_emoji: dict[str, list[str]]) -> None:
        """The `reactions` array of the message object, as Discord returns it."""
        message["reactions"] = [
            {
                "emoji": emoji_object(emoji),
                "count": len(users),
                "count_details": {"burst": 0, "normal": len(users)},
                "me": p.BOT_USER_ID in users,
                "me_burst": False,
                "burst_colors": [],
            }
            for emoji, users in by_emoji.items()
            if users
        ]

    # -- crosspost ---------------------------------------------------------------

    def crosspost(self, channel: Channel, message_id: str) -> dict[str, Any]:
        message = channel.message(message_id)
        if channel.type != ANNOUNCEMENT:
            raise DiscordError(400, 50068, "Invalid message type for this operation")
        if message["flags"] & 1:
            raise DiscordError(400, 40033, "This message has already been crossposted.")
        message["flags"] |= 1  # CROSSPOSTED
        self.crossposts.append(message_id)
        return message


def emoji_object(emoji: str) -> dict[str, Any]:
    """`✅` → {id: None, name: "✅"}; a custom `name:id` → {id, name, animated}."""
    name, _, emoji_id = emoji.partition(":")
    if emoji_id:
        return {"id": emoji_id, "name": name, "animated": False}
    return {"id": None, "name": emoji}


def emoji_key(raw: str) -> str:
    """The stored key for an emoji in a reaction route (`name:id` or `a:name:id` too)."""
    if raw.startswith("a:"):
        raw = raw[2:]
    if not raw:
        raise unknown("Emoji")
    return raw
