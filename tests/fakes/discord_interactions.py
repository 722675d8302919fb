"""Interactions in the fake Discord: INTERACTION_CREATE payloads, the callback endpoint,
follow-ups and @original edits through the interaction webhook, and command sync routes."""

from __future__ import annotations

import secrets
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

from tests.fakes import discord_payloads as p
from tests.fakes.discord_commands import Commands
from tests.fakes.discord_guilds import Channel, DiscordError, Guild, World, invalid_form, unknown
from tests.fakes.discord_messages import EPHEMERAL, LOADING, Messages, validate_body
from tests.fakes.discord_rest import Rest, RestRequest

Answer = tuple[int, Any]
Dispatch = Callable[[str, dict[str, Any]], Awaitable[None]]
Waiter = Callable[[Callable[[], object]], Awaitable[None]]
COMMAND, COMPONENT, AUTOCOMPLETE, MODAL = 2, 3, 4, 5
# Callback types each interaction type accepts (Discord's rule).
ALLOWED_CALLBACKS = {
    COMMAND: {4, 5, 9},
    AUTOCOMPLETE: {8},
    COMPONENT: {4, 5, 6, 7, 9},
    MODAL: {4, 5, 6, 7},
}
DEFERRED = (5, 6)
WEBHOOK = "/webhooks/{application_id}/{token}"


def _submitted(component: dict[str, Any], values: dict[str, str | list[str]]) -> dict[str, Any]:
    """One field of a modal as Discord sends it back: a text input's `value`, a select's
    `values` (what the person left untouched comes back as shown)."""
    custom_id = component.get("custom_id", "")
    if component["type"] == 4:
        value = values.get(custom_id, component.get("value") or "")
        return {"type": 4, "id": component.get("id", 0), "custom_id": custom_id, "value": value}
    chosen = values.get(custom_id)
    if chosen is None:
        chosen = [o["value"] for o in component.get("options", []) if o.get("default")]
    listed = [chosen] if isinstance(chosen, str) else list(chosen)
    return {"type": component["type"], "id": component.get("id", 0), "custom_id": custom_id,
            "values": listed}  # fmt: skip


def modal_submission(modal: dict[str, Any], values: dict[str, str | list[str]]) -> dict[str, Any]:
    """A type-5 interaction's data for a modal the client sent (callback type 9): labels
    (type 18) and action rows (type 1) kept as sent, each field filled from `values`."""
    components: list[dict[str, Any]] = []
    for top in modal.get("components", []):
        if top["type"] == 18:
            inner = _submitted(top["component"], values)
            components.append({"type": 18, "id": top.get("id", 0), "component": inner})
        elif top["type"] == 1:
            row = [_submitted(c, values) for c in top.get("components", [])]
            components.append({"type": 1, "id": top.get("id", 0), "components": row})
    return {"custom_id": modal["custom_id"], "components": components}


@dataclass
class Interaction:
    """One interaction the fake sent, and everything the client answered to it."""

    id: str
    token: str
    type: int
    guild_id: str
    channel_id: str
    user_id: str
    payload: dict[str, Any]
    _waiter: Waiter
    responses: list[dict[str, Any]] = field(default_factory=list)  # callbacks, as sent
    followups: list[dict[str, Any]] = field(default_factory=list)  # messages and edits
    original: dict[str, Any] | None = None  # the response message (type 4/5), if any

    @property
    def acknowledged(self) -> bool:
        return bool(self.responses)

    @property
    def done(self) -> bool:
        """Answered; and if the answer was a deferral, a follow-up or edit arrived too."""
        if not self.responses:
            return False
        return self.responses[0]["type"] not in DEFERRED or bool(self.followups)

    @property
    def ephemeral(self) -> bool:
        first = self.responses[0] if self.responses else {}
        return bool(int((first.get("data") or {}).get("flags") or 0) & EPHEMERAL)

    @property
    def messages(self) -> list[dict[str, Any]]:
        """What the user saw, in order: the type-4 reply's data, then follow-ups/edits."""
        first = [r["data"] for r in self.responses if r.get("type") == 4]
        return [*first, *self.followups]

    async def wait_done(self) -> None:
        try:
            await self._waiter(lambda: self.done)
        except TimeoutError as e:
            raise TimeoutError(
                f"interaction {self.id} not done: responses={self.responses} "
                f"followups={self.followups} (a deferral needs a follow-up or an edit)"
            ) from e


class Interactions:
    def __init__(
        self,
        world: World,
        messages: Messages,
        commands: Commands,
        dispatch: Dispatch,
        notify: Callable[[], Awaitable[None]],
        waiter: Waiter,
        message_event: Callable[[Channel, dict[str, Any]], dict[str, Any]],
    ) -> None:
        self.world = world
        self.messages = messages
        self.commands = commands
        self.dispatch = dispatch
        self.notify = notify
        self.waiter = waiter
        self.message_event = message_event
        self.all: dict[str, Interaction] = {}

    def register(self, rest: Rest) -> None:
        for template in (
            "/applications/{application_id}/commands",
            "/applications/{application_id}/guilds/{guild_id}/commands",
        ):
            rest.add("GET", template, self.list_commands)
            rest.add("PUT", template, self.put_commands)
        rest.add(
            "POST", "/interactions/{interaction_id}/{token}/callback", self.callback, auth=False
        )
        rest.add("POST", WEBHOOK, self.followup, auth=False)
        rest.add("GET", WEBHOOK + "/messages/{message_id}", self.get_message, auth=False)
        rest.add("PATCH", WEBHOOK + "/messages/{message_id}", self.edit_message, auth=False)
        rest.add("DELETE", WEBHOOK + "/messages/{message_id}", self.delete_message, auth=False)

    # -- creating ------------------------------------------------------------------

    def create(
        self, kind: int, guild: Guild, channel: Channel, user_id: str, data: dict[str, Any]
    ) -> Interaction:
        member = dict(guild.member(user_id))
        member["permissions"] = str(guild.member_permissions(user_id))
        interaction_id, token = p.snowflake(), "aW50ZXJhY3Rpb24" + secrets.token_urlsafe(24)
        payload = {
            "id": interaction_id,
            "application_id": p.APP_ID,
            "type": kind,
            "data": data,
            "guild_id": guild.id,
            "guild": {"id": guild.id, "locale": "en-US", "features": []},
            "channel_id": channel.id,
            "channel": {**channel.data, "permissions": member["permissions"]},
            "member": member,
            "token": token,
            "version": 1,
            "app_permissions": str(guild.member_permissions(p.BOT_USER_ID)),
            "locale": "en-US",
            "guild_locale": "en-US",
            "entitlements": [],
            "entitlement_sku_ids": [],
            "authorizing_integration_owners": {"0": guild.id},
            "context": 0,
            "attachment_size_limit": 10_485_760,
        }
        interaction = Interaction(
            interaction_id, token, kind, guild.id, channel.id, user_id, payload, self.waiter
        )
        self.all[interaction_id] = interaction
        return interaction

    # -- command sync ----------------------------------------------------------------

    def _check_app(self, request: RestRequest) -> None:
        if request.params["application_id"] != p.APP_ID:
            raise DiscordError(
                403, 20012, "You are not authorized to perform this action on this application"
            )

    async def list_commands(self, request: RestRequest) -> Answer:
        self._check_app(request)
        guild_id = request.params.get("guild_id")
        if guild_id is not None:
            self.world.guild(guild_id)
        return 200, self.commands.listed(guild_id)

    async def put_commands(self, request: RestRequest) -> Answer:
        self._check_app(request)
        guild_id = request.params.get("guild_id")
        if guild_id is not None:
            self.world.guild(guild_id)
        if not isinstance(request.json, list):
            raise invalid_form("_errors", "BASE_TYPE_REQUIRED", "a list of commands")
        stored = self.commands.put(guild_id, request.json)
        await self.notify()
        return 200, stored

    # -- callback ------------------------------------------------------------------------

    async def callback(self, request: RestRequest) -> Answer:
        interaction = self.all.get(request.params["interaction_id"])
        if interaction is None or interaction.token != request.params["token"]:
            raise unknown("interaction")
        if interaction.responses:
            raise DiscordError(400, 40060, "Interaction has already been acknowledged.")
        body = request.json or {}
        kind = body.get("type")
        if kind not in ALLOWED_CALLBACKS[interaction.type]:
            raise invalid_form(
                "type",
                "INTERACTION_RESPONSE_TYPE_INVALID",
                f"type {kind} is not valid for interaction type {interaction.type}",
            )
        data = body.get("data") or {}
        if kind == 4:
            validate_body(data, creating=True)
        if kind == 8 and len(data.get("choices") or []) > 25:
            raise invalid_form("data.choices", "BASE_TYPE_MAX_LENGTH", "25 choices at most")
        interaction.responses.append(body)
        if kind in (4, 5):
            interaction.original = await self._message(interaction, data, loading=kind == 5)
        await self.notify()
        if request.query.get("with_response") not in ("1", "true", "True"):
            return 204, None
        return 200, self._callback_answer(interaction, kind)

    def _callback_answer(self, interaction: Interaction, kind: int) -> dict[str, Any]:
        message = interaction.original
        summary: dict[str, Any] = {"id": interaction.id, "type": interaction.type}
        answer: dict[str, Any] = {"interaction": summary}
        if message is not None:
            summary.update(
                response_message_id=message["id"],
                response_message_loading=kind == 5,
                response_message_ephemeral=bool(message["flags"] & EPHEMERAL),
            )
            answer["resource"] = {"type": kind, "message": message}
        return answer

    async def _message(
        self, interaction: Interaction, data: dict[str, Any], *, loading: bool
    ) -> dict[str, Any]:
        """The message an interaction reply creates; visible in the channel unless it is
        ephemeral (then only `interaction` knows it)."""
        channel = self.world.channel(interaction.channel_id)
        message = p.message(p.snowflake(), channel.id, self.world.bot, data, type=20)
        flags = int(data.get("flags") or 0) & (EPHEMERAL | 4 | 4096)
        message.update(
            flags=flags | (LOADING if loading else 0),
            webhook_id=p.APP_ID,
            application_id=p.APP_ID,
            interaction_metadata={
                "id": interaction.id,
                "type": interaction.type,
                "user": dict(self.world.user(interaction.user_id)),
                "authorizing_integration_owners": {"0": interaction.guild_id},
            },
        )
        self.messages.mention(message, data.get("allowed_mentions"))
        if not flags & EPHEMERAL:
            channel.messages.append(message)
            await self.dispatch("MESSAGE_CREATE", self.message_event(channel, message))
        return message

    # -- the interaction webhook ----------------------------------------------------------

    def _by_token(self, request: RestRequest) -> Interaction:
        token = request.params["token"]
        found = next((i for i in self.all.values() if i.token == token), None)
        if request.params["application_id"] != p.APP_ID or found is None:
            raise unknown("Webhook")
        if not found.responses:  # follow-ups only exist after the first response
            raise unknown("Webhook")
        return found

    async def followup(self, request: RestRequest) -> Answer:
        interaction = self._by_token(request)
        body = request.json or {}
        validate_body(body, creating=True)
        message = await self._message(interaction, body, loading=False)
        interaction.followups.append(message)
        await self.notify()
        if request.query.get("wait") in ("1", "true", "True"):
            return 200, message
        return 204, None

    def _find(self, interaction: Interaction, message_id: str) -> dict[str, Any]:
        if message_id == "@original":
            if interaction.original is None:
                raise unknown("Message")
            return interaction.original
        for message in interaction.followups:
            if message["id"] == message_id:
                return message
        raise unknown("Message")

    async def get_message(self, request: RestRequest) -> Answer:
        interaction = self._by_token(request)
        return 200, self._find(interaction, request.params["message_id"])

    async def edit_message(self, request: RestRequest) -> Answer:
        interaction = self._by_token(request)
        message_id = request.params["message_id"]
        message = self.messages.apply_edit(self._find(interaction, message_id), request.json or {})
        if message_id == "@original":  # an edit of the reply is what the user sees next
            interaction.followups.append(dict(message))
        channel = self.world.channel(interaction.channel_id)
        if not message["flags"] & EPHEMERAL:
            await self.dispatch("MESSAGE_UPDATE", self.message_event(channel, message))
        await self.notify()
        return 200, message

    async def delete_message(self, request: RestRequest) -> Answer:
        interaction = self._by_token(request)
        message = self._find(interaction, request.params["message_id"])
        channel = self.world.channel(interaction.channel_id)
        if message in channel.messages:
            channel.messages.remove(message)
        if message is interaction.original:
            interaction.original = None
        await self.notify()
        return 204, None
