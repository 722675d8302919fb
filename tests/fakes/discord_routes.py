"""REST handlers for users, guilds, channels, messages, pins, reactions and crossposts.
Each change is also dispatched on the gateway, as Discord does."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any
from urllib.parse import unquote

from tests.fakes import discord_payloads as p
from tests.fakes.discord_guilds import (
    Channel,
    World,
    channel_name,
    invalid_form,
    normal_overwrite,
    unknown,
)
from tests.fakes.discord_messages import Messages, emoji_key, emoji_object
from tests.fakes.discord_rest import Rest, RestRequest

Dispatch = Callable[[str, dict[str, Any]], Awaitable[None]]
Answer = tuple[int, Any]
NO_CONTENT: Answer = (204, None)
CHANNEL = "/channels/{channel_id}"
MESSAGE = CHANNEL + "/messages/{message_id}"
REACTION = MESSAGE + "/reactions/{emoji}"


class Routes:
    def __init__(
        self, world: World, messages: Messages, dispatch: Dispatch, gateway_url: Callable[[], str]
    ) -> None:
        self.world = world
        self.messages = messages
        self.dispatch = dispatch
        self.gateway_url = gateway_url

    def register(self, rest: Rest) -> None:
        routes = [
            ("GET", "/users/@me", self.me),
            ("GET", "/users/{user_id}", self.user),
            ("POST", "/users/@me/channels", self.open_dm),
            ("GET", "/gateway", self.gateway),
            ("GET", "/gateway/bot", self.gateway),
            ("GET", "/oauth2/applications/@me", self.application),
            ("GET", "/applications/@me", self.application),
            ("GET", "/guilds/{guild_id}", self.guild),
            ("GET", "/guilds/{guild_id}/channels", self.guild_channels),
            ("POST", "/guilds/{guild_id}/channels", self.create_channel),
            ("GET", "/guilds/{guild_id}/roles", self.roles),
            ("GET", "/guilds/{guild_id}/members", self.members),
            ("GET", "/guilds/{guild_id}/members/{user_id}", self.member),
            ("GET", CHANNEL, self.channel),
            ("PATCH", CHANNEL, self.edit_channel),
            ("DELETE", CHANNEL, self.delete_channel),
            ("PUT", CHANNEL + "/permissions/{target_id}", self.put_overwrite),
            ("DELETE", CHANNEL + "/permissions/{target_id}", self.delete_overwrite),
            ("GET", CHANNEL + "/messages/pins", self.pins),
            ("PUT", CHANNEL + "/messages/pins/{message_id}", self.pin),
            ("DELETE", CHANNEL + "/messages/pins/{message_id}", self.unpin),
            ("PUT", CHANNEL + "/pins/{message_id}", self.pin),  # pre-2.6 clients
            ("POST", CHANNEL + "/messages", self.post_message),
            ("GET", CHANNEL + "/messages", self.history),
            ("GET", MESSAGE, self.get_message),
            ("PATCH", MESSAGE, self.edit_message),
            ("DELETE", MESSAGE, self.delete_message),
            ("POST", MESSAGE + "/crosspost", self.crosspost),
            ("PUT", REACTION + "/@me", self.add_own_reaction),
            ("DELETE", REACTION + "/@me", self.remove_own_reaction),
            ("DELETE", REACTION + "/{user_id}", self.remove_reaction),
            ("GET", REACTION, self.reaction_users),
        ]
        for method, template, handler in routes:
            rest.add(method, template, handler)

    # -- users, application, gateway -----------------------------------------------

    async def me(self, request: RestRequest) -> Answer:
        return 200, dict(self.world.bot)

    async def user(self, request: RestRequest) -> Answer:
        return 200, dict(self.world.user(request.params["user_id"]))

    async def open_dm(self, request: RestRequest) -> Answer:
        recipient = (request.json or {}).get("recipient_id")
        if recipient is None:
            raise invalid_form("recipient_id", "BASE_TYPE_REQUIRED", "This field is required")
        return 200, dict(self.world.open_dm(recipient).data)

    async def gateway(self, request: RestRequest) -> Answer:
        limit = {"total": 1000, "remaining": 999, "reset_after": 0, "max_concurrency": 1}
        return 200, {"url": self.gateway_url(), "shards": 1, "session_start_limit": limit}

    async def application(self, request: RestRequest) -> Answer:
        owner = next((u for u in self.world.users.values() if not u["bot"]), self.world.bot)
        return 200, p.application(dict(owner))

    # -- guilds ------------------------------------------------------------------------

    async def guild(self, request: RestRequest) -> Answer:
        guild = self.world.guild(request.params["guild_id"])
        data = guild.to_api()
        if request.query.get("with_counts") in ("true", "1"):
            data.update(approximate_member_count=len(guild.members), approximate_presence_count=0)
        return 200, data

    async def guild_channels(self, request: RestRequest) -> Answer:
        guild = self.world.guild(request.params["guild_id"])
        return 200, [dict(self.world.channels[c].data) for c in guild.channel_ids]

    async def roles(self, request: RestRequest) -> Answer:
        return 200, self.world.guild(request.params["guild_id"]).to_api()["roles"]

    async def members(self, request: RestRequest) -> Answer:
        guild = self.world.guild(request.params["guild_id"])
        after = int(request.query.get("after", 0))
        limit = int(request.query.get("limit", 1))
        found = sorted(
            (m for uid, m in guild.members.items() if int(uid) > after),
            key=lambda m: int(m["user"]["id"]),
        )
        return 200, [dict(m) for m in found[:limit]]

    async def member(self, request: RestRequest) -> Answer:
        guild = self.world.guild(request.params["guild_id"])
        return 200, dict(guild.member(request.params["user_id"]))

    # -- channels ------------------------------------------------------------------------

    async def channel(self, request: RestRequest) -> Answer:
        return 200, dict(self.world.channel(request.params["channel_id"]).data)

    async def create_channel(self, request: RestRequest) -> Answer:
        body = request.json or {}
        kind = int(body.get("type") or 0)
        if kind not in (0, 4, 5):
            raise invalid_form("type", "BASE_TYPE_CHOICES", "The fake supports types 0, 4, 5.")
        body = {k: v for k, v in body.items() if k != "id"}
        channel = self.world.add_channel(request.params["guild_id"], body)
        await self.dispatch("CHANNEL_CREATE", dict(channel.data))
        return 201, dict(channel.data)

    async def edit_channel(self, request: RestRequest) -> Answer:
        channel = self.world.channel(request.params["channel_id"])
        body = dict(request.json or {})
        if "name" in body:
            channel.data["name"] = channel_name(str(body["name"] or ""), channel.type)
        if "parent_id" in body:
            parent_id = body["parent_id"]
            if parent_id is not None and self.world.channel(parent_id).type != 4:
                raise invalid_form("parent_id", "CHANNEL_PARENT_INVALID", "Not a category")
            channel.data["parent_id"] = None if parent_id is None else str(parent_id)
        if "permission_overwrites" in body:
            overwrites = body["permission_overwrites"] or []
            channel.data["permission_overwrites"] = [normal_overwrite(o) for o in overwrites]
        for key in ("topic", "position", "nsfw", "rate_limit_per_user", "type"):
            if key in body and (key != "topic" or channel.type != 4):
                channel.data[key] = body[key]
        await self.dispatch("CHANNEL_UPDATE", dict(channel.data))
        return 200, dict(channel.data)

    async def delete_channel(self, request: RestRequest) -> Answer:
        channel = self.world.channel(request.params["channel_id"])
        del self.world.channels[channel.id]
        if channel.guild_id:
            self.world.guild(channel.guild_id).channel_ids.remove(channel.id)
        await self.dispatch("CHANNEL_DELETE", dict(channel.data))
        return 200, dict(channel.data)

    async def put_overwrite(self, request: RestRequest) -> Answer:
        channel = self.world.channel(request.params["channel_id"])
        target = request.params["target_id"]
        new = normal_overwrite({**(request.json or {}), "id": target})
        kept = [o for o in channel.data["permission_overwrites"] if o["id"] != target]
        channel.data["permission_overwrites"] = [*kept, new]
        await self.dispatch("CHANNEL_UPDATE", dict(channel.data))
        return NO_CONTENT

    async def delete_overwrite(self, request: RestRequest) -> Answer:
        channel = self.world.channel(request.params["channel_id"])
        target = request.params["target_id"]
        overwrites = channel.data["permission_overwrites"]
        channel.data["permission_overwrites"] = [o for o in overwrites if o["id"] != target]
        await self.dispatch("CHANNEL_UPDATE", dict(channel.data))
        return NO_CONTENT

    # -- messages --------------------------------------------------------------------------

    async def post_message(self, request: RestRequest) -> Answer:
        channel = self.world.text_channel(request.params["channel_id"])
        self.world.check_can_post(channel)
        message, new = self.messages.post(channel, request.json or {}, self.world.bot)
        if new:
            await self.dispatch("MESSAGE_CREATE", self.message_event(channel, message))
        return 200, message

    async def history(self, request: RestRequest) -> Answer:
        channel = self.world.text_channel(request.params["channel_id"])
        query = request.query
        limit = int(query.get("limit", 50))
        return 200, self.messages.history(channel, limit, query.get("before"), query.get("after"))

    async def get_message(self, request: RestRequest) -> Answer:
        channel = self.world.channel(request.params["channel_id"])
        return 200, channel.message(request.params["message_id"])

    async def edit_message(self, request: RestRequest) -> Answer:
        channel = self.world.channel(request.params["channel_id"])
        message = self.messages.edit(channel, request.params["message_id"], request.json or {})
        await self.dispatch("MESSAGE_UPDATE", self.message_event(channel, message))
        return 200, message

    async def delete_message(self, request: RestRequest) -> Answer:
        channel = self.world.channel(request.params["channel_id"])
        message_id = request.params["message_id"]
        self.messages.delete(channel, message_id)
        event = {"id": message_id, "channel_id": channel.id, "guild_id": channel.guild_id}
        await self.dispatch("MESSAGE_DELETE", event)
        return NO_CONTENT

    async def crosspost(self, request: RestRequest) -> Answer:
        channel = self.world.channel(request.params["channel_id"])
        message = self.messages.crosspost(channel, request.params["message_id"])
        await self.dispatch("MESSAGE_UPDATE", self.message_event(channel, message))
        return 200, message

    def message_event(self, channel: Channel, message: dict[str, Any]) -> dict[str, Any]:
        """A stored message as the gateway carries it: with guild_id and the author's
        member (minus `user`)."""
        if not channel.guild_id:  # a DM: no guild, no member
            return dict(message)
        event = {**message, "guild_id": channel.guild_id}
        guild = self.world.guild(channel.guild_id)
        author_member = guild.members.get(message["author"]["id"])
        if author_member is not None:
            event["member"] = {k: v for k, v in author_member.items() if k != "user"}
        return event

    # -- pins ----------------------------------------------------------------------------------

    async def pins(self, request: RestRequest) -> Answer:
        channel = self.world.channel(request.params["channel_id"])
        limit = int(request.query.get("limit", 50))
        return 200, self.messages.pins_page(channel, limit, request.query.get("before"))

    async def pin(self, request: RestRequest) -> Answer:
        channel = self.world.channel(request.params["channel_id"])
        if self.messages.pin(channel, request.params["message_id"]):
            await self.dispatch(
                "CHANNEL_PINS_UPDATE",
                {
                    "guild_id": channel.guild_id,
                    "channel_id": channel.id,
                    "last_pin_timestamp": channel.pins[0][1],
                },
            )
        return NO_CONTENT

    async def unpin(self, request: RestRequest) -> Answer:
        channel = self.world.channel(request.params["channel_id"])
        self.messages.unpin(channel, request.params["message_id"])
        last = channel.pins[0][1] if channel.pins else None
        await self.dispatch(
            "CHANNEL_PINS_UPDATE",
            {
                "guild_id": channel.guild_id,
                "channel_id": channel.id,
                "last_pin_timestamp": last,
            },
        )
        return NO_CONTENT

    # -- reactions -------------------------------------------------------------------------------

    async def add_own_reaction(self, request: RestRequest) -> Answer:
        await self.react(request.params, p.BOT_USER_ID, add=True)
        return NO_CONTENT

    async def remove_own_reaction(self, request: RestRequest) -> Answer:
        await self.react(request.params, p.BOT_USER_ID, add=False)
        return NO_CONTENT

    async def remove_reaction(self, request: RestRequest) -> Answer:
        await self.react(request.params, request.params["user_id"], add=False)
        return NO_CONTENT

    async def reaction_users(self, request: RestRequest) -> Answer:
        channel = self.world.channel(request.params["channel_id"])
        message_id = request.params["message_id"]
        channel.message(message_id)
        emoji = emoji_key(unquote(request.params["emoji"]))
        users = channel.reactions.get(message_id, {}).get(emoji, [])
        return 200, [dict(self.world.user(u)) for u in users]

    async def react(self, params: dict[str, str], user_id: str, *, add: bool) -> None:
        """Add or remove one user's reaction and dispatch the event Discord sends."""
        channel = self.world.channel(params["channel_id"])
        emoji = emoji_key(unquote(params["emoji"]))
        await self.reaction(channel, params["message_id"], user_id, emoji, add=add)

    async def reaction(
        self, channel: Channel, message_id: str, user_id: str, emoji: str, *, add: bool
    ) -> None:
        guild = self.world.guild(channel.guild_id) if channel.guild_id else None
        if guild is not None and user_id not in guild.members:
            raise unknown("Member")
        change = self.messages.react if add else self.messages.unreact
        if not change(channel, message_id, user_id, emoji):
            return
        event: dict[str, Any] = {
            "user_id": user_id,
            "channel_id": channel.id,
            "message_id": message_id,
            "emoji": emoji_object(emoji),
            "burst": False,
            "type": 0,
        }
        if add:  # Discord sends the author (and in a guild the member) only on ADD
            event.update(
                message_author_id=channel.message(message_id)["author"]["id"], burst_colors=[]
            )
        if guild is not None:
            event["guild_id"] = guild.id
            if add:
                event["member"] = dict(guild.members[user_id])
        await self.dispatch("MESSAGE_REACTION_ADD" if add else "MESSAGE_REACTION_REMOVE", event)
