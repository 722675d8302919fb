"""The socket side of bot/connections.py: aiohttp's protocol behind the guard (and a
deadline for the request head), and the TCP site that puts every connection there."""

from __future__ import annotations

import asyncio

from aiohttp import web
from aiohttp.web_protocol import RequestHandler

from bot.connections import BACKLOG, BUSY, REFUSAL_LINGER, ConnectionGuard, log


class GuardedProtocol(asyncio.Protocol):
    """aiohttp's protocol for one socket, behind the guard and a request-head deadline."""

    def __init__(self, handler: RequestHandler, guard: ConnectionGuard) -> None:
        self.handler = handler
        self._guard = guard
        self._admitted = False
        self._timer: asyncio.TimerHandle | None = None
        self._transport: asyncio.Transport | None = None

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        assert isinstance(transport, asyncio.Transport)
        self._transport = transport
        peer = transport.get_extra_info("peername")
        client = str(peer[0]) if isinstance(peer, tuple) and peer else "unknown"
        loop = asyncio.get_running_loop()
        if self._guard.admit(self, client) is None:
            # Answer before reading: the client reads the 503, then EOF. Whatever it
            # still sends is read and dropped (no reset that would hide the answer).
            transport.write(BUSY)
            if transport.can_write_eof():
                transport.write_eof()
            self._timer = loop.call_later(REFUSAL_LINGER, transport.close)
            return
        self._admitted = True
        self.handler.connection_made(transport)
        self._timer = loop.call_later(self._guard.limits.header_timeout, self._head_too_slow)

    def request_started(self) -> None:
        """A request head arrived: from here aiohttp's keep-alive timer takes over."""
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None

    def _head_too_slow(self) -> None:
        self._timer = None
        log.debug("HTTP: closing a connection that sent no request head in time")
        self.close_now()

    def close_now(self) -> None:
        if self._admitted:
            self.handler.force_close()
        elif self._transport is not None:
            self._transport.close()

    def data_received(self, data: bytes) -> None:
        if self._admitted:
            self.handler.data_received(data)

    def eof_received(self) -> bool | None:
        if self._admitted:
            self.handler.eof_received()
        return None  # aiohttp's protocol, too, lets the transport close on EOF

    def pause_writing(self) -> None:
        if self._admitted:
            self.handler.pause_writing()

    def resume_writing(self) -> None:
        if self._admitted:
            self.handler.resume_writing()

    def connection_lost(self, exc: Exception | None) -> None:
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None
        self._guard.release(self)
        if self._admitted:
            self.handler.connection_lost(exc)


class GuardedSite(web.BaseSite):
    """A TCP site whose every connection goes through ``guard`` first."""

    def __init__(
        self,
        runner: web.BaseRunner,
        host: str,
        port: int,
        guard: ConnectionGuard,
        backlog: int = BACKLOG,
    ) -> None:
        super().__init__(runner, backlog=backlog)
        self._host, self._port, self._guard = host, port, guard

    @property
    def name(self) -> str:
        return f"http://{self._host}:{self._port}"

    async def start(self) -> None:
        await super().start()
        server = self._runner.server
        assert server is not None
        guard = self._guard
        self._server = await asyncio.get_running_loop().create_server(
            lambda: GuardedProtocol(server(), guard),
            self._host,
            self._port,
            backlog=self._backlog,
            reuse_address=True,
        )
