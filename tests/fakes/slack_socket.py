"""Socket Mode side of FakeSlack: the websocket apps.connections.open points at.

A client connects with a one-time ticket, gets Slack's `hello`, and is sent envelopes;
`push()` waits (bounded) for the client's ack, which echoes the envelope id."""

from __future__ import annotations

import asyncio
import json
import uuid
from collections.abc import Awaitable, Callable
from typing import Any

from aiohttp import WSCloseCode, WSMsgType, web

from tests.fakes.slack_payloads import APP_ID


class SocketHub:
    def __init__(self, changed: Callable[[], Awaitable[None]]) -> None:
        self._changed = changed
        self._tickets: set[str] = set()
        self._sockets: list[web.WebSocketResponse] = []
        self._pending: dict[str, asyncio.Future[dict[str, Any]]] = {}
        self.connections = 0
        self.received: list[dict[str, Any]] = []

    @property
    def connected(self) -> bool:
        return bool(self._sockets)

    def issue_ticket(self) -> str:
        ticket = str(uuid.uuid4())
        self._tickets.add(ticket)
        return ticket

    async def handle(self, request: web.Request) -> web.StreamResponse:
        ticket = request.query.get("ticket", "")
        if ticket not in self._tickets:
            raise web.HTTPUnauthorized(text="unknown or used ticket")
        self._tickets.discard(ticket)
        ws = web.WebSocketResponse()  # autoping: answers the SDK's ping frames
        await ws.prepare(request)
        self._sockets.append(ws)
        self.connections += 1
        await ws.send_json(self._hello())
        await self._changed()
        try:
            async for message in ws:
                if message.type == WSMsgType.TEXT:
                    await self._on_text(message.data)
        finally:
            self._sockets.remove(ws)
            await self._changed()
        return ws

    def _hello(self) -> dict[str, Any]:
        return {
            "type": "hello",
            "num_connections": len(self._sockets),
            "debug_info": {
                "host": "applink-fake-1",
                "build_number": 1,
                "approximate_connection_time": 18060,
            },
            "connection_info": {"app_id": APP_ID},
        }

    async def _on_text(self, data: str) -> None:
        message = json.loads(data)
        self.received.append(message)
        waiter = self._pending.get(message.get("envelope_id", ""))
        if waiter is not None and not waiter.done():
            waiter.set_result(message)
        await self._changed()

    def _latest(self) -> web.WebSocketResponse:
        if not self._sockets:
            raise RuntimeError("no Socket Mode client is connected")
        return self._sockets[-1]

    async def push(
        self,
        envelope_type: str,
        payload: dict[str, Any],
        *,
        accepts_response_payload: bool | None = None,
        retry_attempt: int = 0,
        retry_reason: str = "",
    ) -> dict[str, Any]:
        """Send an envelope to the newest connection and wait for the client's ack
        (unbounded here: FakeSlack.socket_push bounds it)."""
        envelope_id = str(uuid.uuid4())
        envelope: dict[str, Any] = {
            "envelope_id": envelope_id,
            "payload": payload,
            "type": envelope_type,
        }
        if envelope_type == "events_api":
            envelope.update(retry_attempt=retry_attempt, retry_reason=retry_reason)
        if accepts_response_payload is None:
            accepts_response_payload = envelope_type != "events_api"
        envelope["accepts_response_payload"] = accepts_response_payload
        waiter: asyncio.Future[dict[str, Any]] = asyncio.get_running_loop().create_future()
        self._pending[envelope_id] = waiter
        try:
            await self._latest().send_json(envelope)
            return await waiter
        finally:
            del self._pending[envelope_id]

    async def disconnect(self, reason: str = "refresh_requested") -> None:
        """Ask the client to reconnect, as Slack does before rotating a connection."""
        message = {"type": "disconnect", "reason": reason, "debug_info": {"host": "applink-fake-1"}}
        await self._latest().send_json(message)

    async def close(self) -> None:
        for ws in list(self._sockets):
            await ws.close(code=WSCloseCode.GOING_AWAY, message=b"server shutdown")
