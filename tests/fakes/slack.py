"""A fake Slack on 127.0.0.1 for running the real slack_sdk / slack_bolt against.

    async with FakeSlack() as fake:
        fake.add_channel("C1", "incidents", members=("U1",))
        client = AsyncWebClient(token="xoxb-test", base_url=fake.base_url)

One aiohttp server answers the Web API (`/api/{method}`, GET or POST, form or JSON,
token in the Authorization header or a `token` form field), the Socket Mode websocket
(`/link/`, reached through apps.connections.open) and `response_url` posts
(`/response/{id}`). Everything is recorded for tests to read, and every change wakes
`wait_for()`, so tests await events instead of sleeping.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlencode

from aiohttp import web

from tests.fakes import slack_payloads as payloads
from tests.fakes.local_server import LocalServer
from tests.fakes.slack_api import WebApi, read_args
from tests.fakes.slack_faults import Fault, Faults
from tests.fakes.slack_payloads import BOT_USER_ID, SlackSigner
from tests.fakes.slack_socket import SocketHub
from tests.fakes.slack_workspace import Channel, Workspace

__all__ = ["Call", "FakeSlack", "Fault", "ResponsePost", "SlackSigner", "payloads"]


@dataclass
class Call:
    """One Web API call as received. `args` merges query string and body (token removed)."""

    method: str
    args: dict[str, Any]
    headers: dict[str, str]
    http_method: str = "POST"
    token: str | None = None
    status: int = 200
    response: dict[str, Any] | None = None


@dataclass
class ResponsePost:
    """A POST to a `response_url` (what bolt's `respond()` sends)."""

    id: str
    channel_id: str | None
    body: dict[str, Any]
    headers: dict[str, str] = field(default_factory=dict)


@dataclass
class _Hold:
    method: str
    channel: str | None
    gate: asyncio.Event
    times: int

    def takes(self, method: str, args: dict[str, Any]) -> bool:
        """Whether this call is held (counting it); a set gate holds nothing."""
        wanted = self.channel is None or self.channel == args.get("channel")
        if self.gate.is_set() or self.times <= 0 or method != self.method or not wanted:
            return False
        self.times -= 1
        return True


class FakeSlack(LocalServer):
    def __init__(self, *, chat_write_public: bool = False, timeout: float = 5.0) -> None:
        self.workspace = Workspace()
        self.workspace.add_user(BOT_USER_ID, "candor", real_name="Candor", is_bot=True)
        self.timeout = timeout  # bounds every wait; nest asyncio.timeout() for a tighter one
        self.calls: list[Call] = []
        self.responses: list[ResponsePost] = []
        self._response_channels: dict[str, str | None] = {}
        self._faults = Faults()
        self._changed = asyncio.Condition()
        self._holds: list[_Hold] = []
        self._socket = SocketHub(self._notify)
        self.api = WebApi(self.workspace, self._faults, self._socket_url, chat_write_public)

    @property
    def valid_tokens(self) -> set[str] | None:
        """Tokens the fake accepts; None (default) accepts any xoxb-/xoxp-/xapp- token."""
        return self.api.valid_tokens

    @valid_tokens.setter
    def valid_tokens(self, tokens: set[str] | None) -> None:
        self.api.valid_tokens = tokens

    # -- lifecycle -----------------------------------------------------------

    def app(self) -> web.Application:
        app = web.Application()
        app.router.add_route("*", "/api/{method}", self._api)
        app.router.add_get("/link/", self._socket.handle)
        app.router.add_post("/response/{id}", self._respond)
        return app

    async def closing(self) -> None:
        for held in self._holds:
            held.gate.set()
        await self._socket.close()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/"

    @property
    def base_url(self) -> str:
        """Pass to `AsyncWebClient(base_url=...)` (SLACK_API_URL)."""
        return f"{self.url}api/"

    # -- seeding -------------------------------------------------------------

    def add_channel(
        self,
        id: str,
        name: str,
        is_archived: bool = False,
        members: Iterable[str] = (),
        *,
        is_private: bool = False,
        bot_is_member: bool = True,
    ) -> dict[str, Any]:
        """A channel; the bot is a member unless `bot_is_member=False`."""
        everyone = set(members) | ({BOT_USER_ID} if bot_is_member else set())
        channel = Channel(id, name, is_private, is_archived, everyone)
        return self.workspace.add_channel(channel).to_api()

    def add_user(self, user_id: str, name: str, **profile: Any) -> dict[str, Any]:
        """A user for users.info (and DMs); `profile` may set real_name, email, tz, is_bot."""
        return self.workspace.add_user(user_id, name, **profile)

    def add_message(self, channel_id: str, text: str, user: str, **fields: Any) -> str:
        """A message posted by someone else (to react to, thread under...); returns its ts."""
        channel = self.workspace.channel(channel_id)
        return str(self.workspace.store_message(channel, {"text": text, **fields}, user)["ts"])

    @property
    def usergroups(self) -> dict[str, list[str]]:
        return self.workspace.usergroups

    @usergroups.setter
    def usergroups(self, groups: dict[str, list[str]]) -> None:
        self.workspace.usergroups = {k: list(v) for k, v in groups.items()}

    # -- inspection ------------------------------------------------------------

    def calls_to(self, method: str) -> list[dict[str, Any]]:
        return [c.args for c in self.calls if c.method == method]

    def messages(self, channel_id: str) -> list[dict[str, Any]]:
        """Every stored message, oldest first, thread replies included, with metadata
        and the unfurl_links/unfurl_media flags they were posted with."""
        return [dict(m) for m in self.workspace.channel(channel_id).messages]

    def channel_by_name(self, name: str) -> dict[str, Any] | None:
        channel = self.workspace.by_name(name)
        return None if channel is None else channel.to_api()

    def channel(self, channel_id: str) -> dict[str, Any]:
        return self.workspace.channel(channel_id).to_api()

    def pins(self, channel_id: str) -> list[str]:
        return list(self.workspace.channel(channel_id).pins)

    def members(self, channel_id: str) -> set[str]:
        """Member ids, the bot's (`UBOT`) included when it is in the channel."""
        return set(self.workspace.channel(channel_id).members)

    def reactions(self, channel_id: str, ts: str) -> dict[str, list[str]]:
        message = self.workspace.channel(channel_id).message(ts)
        return {r["name"]: list(r["users"]) for r in message.get("reactions", [])}

    @property
    def ephemerals(self) -> list[dict[str, Any]]:
        return self.workspace.ephemerals

    @property
    def views(self) -> dict[str, dict[str, Any]]:
        return self.workspace.views

    # -- failure injection -------------------------------------------------------

    # `channel=` limits a fault to calls naming that channel (other calls pass).

    def fail(self, method: str, error: str, times: int = 1, *, channel: str | None = None) -> None:
        """The next `times` calls answer HTTP 200 `{"ok": false, "error": error}`."""
        self._faults.add(method, Fault(error=error, channel=channel), times)

    def rate_limit(
        self, method: str, times: int = 1, retry_after: int = 0, *, channel: str | None = None
    ) -> None:
        """The next `times` calls answer 429 `ratelimited` with `Retry-After`."""
        fault = Fault(status=429, retry_after=retry_after, channel=channel)
        self._faults.add(method, fault, times)

    def server_error(
        self,
        method: str,
        times: int = 1,
        status: int = 500,
        *,
        channel: str | None = None,
        processed: bool = False,
    ) -> None:
        """The next `times` calls answer `status` (500/503) with an HTML body. With
        `processed=True` the call takes effect first (a message is posted...) and only
        the answer is lost, as when Slack's edge times out after the backend did the work."""
        fault = Fault(status=status, channel=channel, processed=processed)
        self._faults.add(method, fault, times)

    def hold(self, method: str, times: int = 1, *, channel: str | None = None) -> asyncio.Event:
        """The next `times` calls take effect and are recorded, but their answers wait
        until the returned event is set: a slow Slack, or a caller that dies mid-call.
        Held answers are released when the fake stops."""
        gate = asyncio.Event()
        self._holds.append(_Hold(method, channel, gate, times))
        return gate

    def flaky(self, every: int, *faults: Fault, processed_in: Iterable[str] = ()) -> None:
        """Every `every`-th Web API call fails with the next of `faults` (5xx, 429...) in
        turn; posts to `processed_in` channels take effect first. `every=0` stops it."""
        self._faults.flaky(every, faults, frozenset(processed_in))

    @property
    def flaky_failures(self) -> int:
        return self._faults.flaky_failures

    def per_channel_rate(self, messages_per_second: float | None) -> None:
        """Throttle chat.postMessage per channel (None: unlimited, the default)."""
        self._faults.set_per_channel_rate(messages_per_second)

    # -- waiting -------------------------------------------------------------------

    async def _notify(self) -> None:
        async with self._changed:
            self._changed.notify_all()

    async def wait_for(self, predicate: Callable[[], object]) -> None:
        """Until `predicate()` holds. It is re-checked only when the fake records something
        (a call, a response_url post, a socket message), so it should read fake state."""
        async with self._changed, asyncio.timeout(self.timeout):
            await self._changed.wait_for(predicate)

    async def wait_for_call(self, method: str, count: int = 1) -> dict[str, Any]:
        """The args of the `count`-th call to `method`, once it has arrived."""
        await self.wait_for(lambda: len(self.calls_to(method)) >= count)
        return self.calls_to(method)[count - 1]

    async def wait_for_response(self, count: int = 1) -> ResponsePost:
        """The `count`-th response_url post, once it has arrived."""
        await self.wait_for(lambda: len(self.responses) >= count)
        return self.responses[count - 1]

    # -- Socket Mode -------------------------------------------------------------------

    @property
    def socket_connections(self) -> int:
        """How many websocket connections were ever accepted."""
        return self._socket.connections

    @property
    def socket_received(self) -> list[dict[str, Any]]:
        """Every message a Socket Mode client sent (acks)."""
        return self._socket.received

    async def wait_socket_connected(self, count: int = 1) -> None:
        """Until `count` connections were accepted and one is open."""
        hub = self._socket
        await self.wait_for(lambda: hub.connections >= count and hub.connected)

    async def socket_push(
        self,
        envelope_type: str,
        payload: dict[str, Any],
        *,
        accepts_response_payload: bool | None = None,
        retry_attempt: int = 0,
        retry_reason: str = "",
    ) -> dict[str, Any]:
        """Send an envelope (`slash_commands`, `events_api`, `interactive`) to the newest
        connection and return the client's ack. accepts_response_payload defaults to
        True except for events_api; retry_* are sent on events_api envelopes only."""
        await self.wait_socket_connected()
        try:
            async with asyncio.timeout(self.timeout):
                return await self._socket.push(
                    envelope_type,
                    payload,
                    accepts_response_payload=accepts_response_payload,
                    retry_attempt=retry_attempt,
                    retry_reason=retry_reason,
                )
        except TimeoutError as e:
            raise TimeoutError(
                f"no ack for a {envelope_type} envelope within {self.timeout}s (bolt sends "
                "none when no listener matched or the listener failed before ack())"
            ) from e

    async def socket_disconnect(self, reason: str = "refresh_requested") -> None:
        """Send a `disconnect` message and wait until the client has reconnected."""
        before = self._socket.connections
        await self._socket.disconnect(reason)
        await self.wait_socket_connected(before + 1)

    def _socket_url(self) -> str:
        query = urlencode({"ticket": self._socket.issue_ticket(), "app_id": payloads.APP_ID})
        return f"ws://127.0.0.1:{self.port}/link/?{query}"

    # -- response_url ----------------------------------------------------------------

    def response_url(self, channel_id: str | None = None) -> str:
        """A fresh response_url that lands in `fake.responses`."""
        response_id = f"R{len(self._response_channels) + 1:04d}"
        self._response_channels[response_id] = channel_id
        return f"{self.url}response/{response_id}"

    def slash_command_payload(
        self, text: str, user_id: str, channel_id: str, **kw: Any
    ) -> dict[str, str]:
        """`payloads.slash_command_payload` with response_url pointing at this fake."""
        kw.setdefault("response_url", self.response_url(channel_id))
        return payloads.slash_command_payload(text, user_id, channel_id, **kw)

    def slash_command_body(self, text: str, user_id: str, channel_id: str, **kw: Any) -> str:
        return urlencode(self.slash_command_payload(text, user_id, channel_id, **kw))

    async def _respond(self, request: web.Request) -> web.Response:
        response_id = request.match_info["id"]
        if response_id not in self._response_channels:
            return web.Response(status=404, text="no_service")
        body = await request.json()
        channel = self._response_channels[response_id]
        self.responses.append(ResponsePost(response_id, channel, body, dict(request.headers)))
        await self._notify()
        return web.Response(text="ok")

    # -- Web API ---------------------------------------------------------------------

    async def _api(self, request: web.Request) -> web.Response:
        method = request.match_info["method"]
        args, token = await read_args(request)
        call = Call(method, args, dict(request.headers), request.method, token)
        self.calls.append(call)
        response = self.api.answer(method, args, token)
        call.status = response.status
        if response.content_type == "application/json" and isinstance(response.body, bytes):
            call.response = json.loads(response.body)
        await self._notify()
        held = next((h for h in self._holds if h.takes(method, args)), None)
        if held is not None:
            await held.gate.wait()
        return response
