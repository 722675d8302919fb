"""A fake Discord (REST + gateway) on 127.0.0.1 for running the real discord.py against.

    async with FakeDiscord(token="bot-token") as fake:
        fake.add_guild(GUILD, name="Acme", owner_id=OWNER)
        fake.add_member(GUILD, OWNER, "olive")
        fake.add_channel(GUILD, CHANNEL, "general")
        discord.http.Route.BASE = fake.api_base
        discord.gateway.DiscordWebSocket.DEFAULT_GATEWAY = yarl.URL(fake.gateway_url)
        ...  # client.login(token) / client.connect(); await fake.wait_ready()
        ix = await fake.slash(GUILD, CHANNEL, OWNER, "incident", "open", {"title": "DB down"})
        await ix.wait_done()

One aiohttp server answers REST under `/api/v10` and the gateway websocket at `/gateway`.
Every REST call is recorded (`calls`), every change wakes `wait_for()`, so tests await
state instead of sleeping. Ids may be given as int or str; the fake stores strings.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Callable
from typing import Any

from aiohttp import web

from tests.fakes import discord_payloads as payloads
from tests.fakes.discord_commands import Commands, OptionBuilder
from tests.fakes.discord_gateway import Gateway
from tests.fakes.discord_guilds import DiscordError, World
from tests.fakes.discord_interactions import (
    AUTOCOMPLETE,
    COMMAND,
    MODAL,
    Interaction,
    Interactions,
    modal_submission,
)
from tests.fakes.discord_messages import Messages, emoji_key
from tests.fakes.discord_rest import Call, Rest
from tests.fakes.discord_routes import Routes
from tests.fakes.discord_state import DiscordState
from tests.fakes.local_server import LocalServer

__all__ = ["Call", "DiscordError", "FakeDiscord", "Interaction", "payloads"]

API_PATH = "/api/v10"


class FakeDiscord(DiscordState, LocalServer):
    def __init__(
        self,
        token: str | None = None,
        *,
        timeout: float = 5.0,
        heartbeat_interval_ms: int = 45_000,
    ) -> None:
        """token: the only bot token accepted on REST and IDENTIFY (None: any `Bot …`)."""
        self.timeout = timeout  # bounds every wait; nest asyncio.timeout() for a tighter one
        self.world = World()
        self._changed = asyncio.Condition()
        self.rest = Rest(token)
        self.gateway = Gateway(
            self.world, self._notify, lambda: self.gateway_url, token, heartbeat_interval_ms
        )
        self._messages = Messages(self.world)
        self.commands = Commands()
        self.routes = Routes(
            self.world, self._messages, self.gateway.dispatch, lambda: self.gateway_url
        )
        self.interactions = Interactions(
            self.world,
            self._messages,
            self.commands,
            self.gateway.dispatch,
            self._notify,
            self.wait_for,
            self.routes.message_event,
        )
        self.routes.register(self.rest)
        self.interactions.register(self.rest)

    # -- lifecycle -------------------------------------------------------------------------------

    def app(self) -> web.Application:
        app = web.Application()
        app.router.add_get("/gateway", self.gateway.handle)
        app.router.add_get("/gateway/", self.gateway.handle)
        app.router.add_route("*", API_PATH + "/{tail:.*}", self._rest)
        return app

    async def closing(self) -> None:
        await self.gateway.close()

    @property
    def api_base(self) -> str:
        """What `discord.http.Route.BASE` must be (DISCORD_API_URL)."""
        return f"http://127.0.0.1:{self.port}{API_PATH}"

    @property
    def gateway_url(self) -> str:
        """What `DiscordWebSocket.DEFAULT_GATEWAY` must be, as a yarl.URL (DISCORD_GATEWAY_URL)."""
        return f"ws://127.0.0.1:{self.port}/gateway"

    application_id = payloads.APP_ID
    bot_user_id = payloads.BOT_USER_ID

    # -- faults ----------------------------------------------------------------------------------

    def fail(
        self,
        route: str,
        status: int = 403,
        code: int = 50013,
        message: str = "Missing Permissions",
        times: int = 1,
        *,
        retry_after: float = 1.0,
        is_global: bool = False,
        processed: bool = False,
        **params: int | str,
    ) -> None:
        """The next `times` calls to `route` ("POST /channels/{channel_id}/messages"),
        limited to those whose path parameters equal `params`, fail with `status`:
        403/50013 Missing Permissions, 404/10003 Unknown Channel, 429 (body retry_after /
        global, X-RateLimit-* / Retry-After / Via headers), 5xx (code 0: an HTML body).
        processed=True applies the call first and only loses the answer. Note discord.py
        sleeps 1 s+ before retrying 500/502/504/524 itself; use 503 for a prompt error."""
        self.rest.fail(
            route,
            status=status,
            code=code,
            message=message,
            times=times,
            retry_after=retry_after,
            is_global=is_global,
            processed=processed,
            params={k: str(v) for k, v in params.items()},
        )

    def rate_limit(
        self,
        route: str,
        retry_after: float,
        times: int = 1,
        *,
        is_global: bool = False,
        **params: int | str,
    ) -> None:
        """The next `times` calls answer 429 with `retry_after` seconds (discord.py waits
        and retries below its max_ratelimit_timeout, at least 30 s; above it raises
        discord.RateLimited)."""
        self.rest.fail(
            route,
            status=429,
            code=0,
            message="You are being rate limited.",
            times=times,
            retry_after=retry_after,
            is_global=is_global,
            params={k: str(v) for k, v in params.items()},
        )

    async def drop_connection(self, resume: bool = True) -> None:
        """Close the client's websocket (code 4000) as a network failure would. The client
        reconnects and sends RESUME; events dispatched meanwhile are replayed after it.
        resume=False: the session is invalidated, RESUME gets INVALID_SESSION and the
        client must IDENTIFY again (discord.py waits 5 s in before_identify_hook first)."""
        await self.gateway.drop(resume=resume)
        await self._notify()

    @contextlib.asynccontextmanager
    async def disconnected(self, resume: bool = True) -> AsyncIterator[None]:
        """Drop the connection and hold the client's RESUME/IDENTIFY unanswered while the
        block runs, so whatever it dispatches surely happens while the client is away;
        on exit, wait until the client is back (RESUMED, or READY after re-IDENTIFY)."""
        resumed, ready = self.gateway.resumed_count, self.gateway.ready_count
        self.gateway.gate.clear()
        try:
            await self.drop_connection(resume)
            yield
        finally:
            self.gateway.gate.set()
        await self.wait_for(
            lambda: self.gateway.resumed_count > resumed or self.gateway.ready_count > ready
        )

    # -- driving the client ----------------------------------------------------------------------

    async def dispatch(self, event: str, data: dict[str, Any]) -> None:
        """Send any gateway event to every connected (or resumable) session."""
        await self.gateway.dispatch(event, data)

    async def slash(
        self,
        guild_id: int | str,
        channel_id: int | str,
        user_id: int | str,
        command: str,
        subcommand: str | None = None,
        options: dict[str, Any] | None = None,
    ) -> Interaction:
        """Dispatch a slash command (type 2) as `user_id` typed it, built from the synced
        definition; `subcommand` may be "group sub". Returns the interaction record."""
        return await self._interact(
            COMMAND, guild_id, channel_id, user_id, command, subcommand, options or {}, None
        )

    async def submit_modal(
        self, shown: Interaction, values: dict[str, str | list[str]]
    ) -> Interaction:
        """The person who got the modal (`shown` answered with type 9) submits it: a type-5
        interaction whose components mirror the modal's, filled from `values` (by each
        field's custom_id; a select takes a list). Returns the interaction record."""
        [modal] = [r["data"] for r in shown.responses if r.get("type") == 9]
        guild, channel = self.world.guild(shown.guild_id), self.world.channel(shown.channel_id)
        data = modal_submission(modal, values)
        interaction = self.interactions.create(MODAL, guild, channel, shown.user_id, data)
        await self.gateway.dispatch("INTERACTION_CREATE", interaction.payload)
        return interaction

    async def autocomplete(
        self,
        guild_id: int | str,
        channel_id: int | str,
        user_id: int | str,
        command: str,
        subcommand: str | None,
        options: dict[str, Any],
        *,
        focused: str,
    ) -> list[dict[str, Any]]:
        """Dispatch an autocomplete interaction (type 4) with `focused` being typed; returns
        the choices of the client's type-8 callback."""
        interaction = await self._interact(
            AUTOCOMPLETE, guild_id, channel_id, user_id, command, subcommand, options, focused
        )
        await self.wait_for(lambda: interaction.responses)
        return list(interaction.responses[0].get("data", {}).get("choices", []))

    async def _interact(
        self,
        kind: int,
        guild_id: int | str,
        channel_id: int | str,
        user_id: int | str,
        command: str,
        subcommand: str | None,
        options: dict[str, Any],
        focused: str | None,
    ) -> Interaction:
        guild = self.world.guild(guild_id)
        channel = self.world.channel(channel_id)
        if str(user_id) not in guild.members:
            raise LookupError(f"user {user_id} is not in guild {guild.id}: fake.add_member first")
        definition = self.commands.find(guild.id, command)
        path = subcommand.split() if subcommand else []
        data = OptionBuilder(self.world, guild).command_data(definition, path, options, focused)
        interaction = self.interactions.create(kind, guild, channel, str(user_id), data)
        await self.gateway.dispatch("INTERACTION_CREATE", interaction.payload)
        return interaction

    async def post_as(
        self, channel_id: int | str, user_id: int | str, content: str, **fields: Any
    ) -> dict[str, Any]:
        """`user_id` posts a message now: MESSAGE_CREATE to clients with the
        guild_messages intent (content blanked without message_content, as Discord does)."""
        message = self.add_message(channel_id, user_id, content, **fields)
        channel = self.world.channel(channel_id)
        await self.gateway.dispatch("MESSAGE_CREATE", self.routes.message_event(channel, message))
        return message

    async def react(
        self, channel_id: int | str, message_id: int | str, user_id: int | str, emoji: str
    ) -> None:
        """`user_id` adds a reaction (MESSAGE_REACTION_ADD, with member and emoji)."""
        channel = self.world.channel(channel_id)
        await self.routes.reaction(
            channel, str(message_id), str(user_id), emoji_key(emoji), add=True
        )

    async def unreact(
        self, channel_id: int | str, message_id: int | str, user_id: int | str, emoji: str
    ) -> None:
        """MESSAGE_REACTION_REMOVE (no member, as Discord sends it)."""
        channel = self.world.channel(channel_id)
        await self.routes.reaction(
            channel, str(message_id), str(user_id), emoji_key(emoji), add=False
        )

    # -- waiting ---------------------------------------------------------------------------------

    async def _notify(self) -> None:
        async with self._changed:
            self._changed.notify_all()

    async def wait_for(self, predicate: Callable[[], object]) -> None:
        """Until `predicate()` holds; re-checked on every change the fake records. Bounded
        by `self.timeout`; nest asyncio.timeout() for a tighter bound."""
        async with self._changed, asyncio.timeout(self.timeout):
            await self._changed.wait_for(predicate)

    async def wait_ready(self, count: int = 1) -> None:
        """Until `count` IDENTIFYs were answered with READY and every GUILD_CREATE."""
        await self.wait_for(lambda: self.gateway.ready_count >= count)

    async def wait_for_call(self, route: str, count: int = 1) -> Call:
        await self.wait_for(lambda: len(self.calls_to(route)) >= count)
        return self.calls_to(route)[count - 1]

    # -- REST ------------------------------------------------------------------------------------

    async def _rest(self, request: web.Request) -> web.Response:
        response = await self.rest.serve(request, API_PATH)
        await self._notify()
        return response
