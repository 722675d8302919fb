"""Connection limits for the public HTTP server (issue 12, "Connections").

aiohttp closes idle keep-alive connections and bounds header sizes, but it has no
cap on connections, per process or per client, and no deadline for a request's
body. Here every accepted socket passes a :class:`ConnectionGuard` first:

- past ``HTTP_MAX_CONNECTIONS_PER_CLIENT`` (plus a small reserve) or
  ``HTTP_MAX_CONNECTIONS`` the socket gets a fixed 503 with ``Retry-After`` at once,
  never reaching aiohttp; when the process is full, the connection that has waited
  longest without a request is closed to make room, so an idle flood cannot starve
  the health check or Slack;
- the last few slots (the reserve) serve only the priority paths (``/healthz``,
  ``POST /slack/events``); anything else there gets a fast 503;
- a connection that sends no complete request head within ``HTTP_HEADER_TIMEOUT``
  is closed, and a body not received within ``HTTP_BODY_TIMEOUT`` gets a 408;
- each refusal is logged at most once per client per minute.

Behind a reverse proxy, ``TRUSTED_PROXIES`` names the proxies whose
``X-Forwarded-For`` is believed; the request's ``remote`` is then the client, and
the per-client cap counts that client's requests in flight."""

from __future__ import annotations

import asyncio
import ipaddress
import logging
import resource
from collections import Counter
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING

from aiohttp import hdrs, web
from aiohttp.web_protocol import RequestHandler

from bot.logs import RateLimitedLog

if TYPE_CHECKING:
    from bot.connection_site import GuardedProtocol

log = logging.getLogger("candor.http")

Network = ipaddress.IPv4Network | ipaddress.IPv6Network
Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]
PRIORITY_PATHS = frozenset({"/healthz", "/slack/events"})
FD_HEADROOM = 64  # files the process needs besides client sockets: database, SMTP, Slack
# Sockets asyncio may accept in one go (the listen backlog) before any is checked.
BACKLOG = 128
REFUSAL_LINGER = 1.0  # how long a refused socket may keep sending before it is closed
RETRY_AFTER = 5
BUSY = (
    b"HTTP/1.1 503 Service Unavailable\r\n"
    b"Retry-After: %d\r\n"
    b"Content-Type: text/plain; charset=utf-8\r\n"
    b"Content-Length: 29\r\n"
    b"Connection: close\r\n\r\n"
    b"Too many connections: retry.\n"
) % RETRY_AFTER


def parse_networks(entries: Iterable[str]) -> tuple[Network, ...]:
    """``TRUSTED_PROXIES`` entries (addresses or CIDRs) → networks; a bad one is a ValueError."""
    return tuple(ipaddress.ip_network(entry.strip(), strict=False) for entry in entries)


@dataclass(frozen=True)
class ConnectionLimits:
    max_connections: int = 512
    max_per_client: int = 64
    header_timeout: float = 5.0
    body_timeout: float = 10.0
    keepalive_timeout: float = 15.0
    max_body: int = 1024 * 1024
    trusted_proxies: tuple[Network, ...] = ()
    priority_paths: frozenset[str] = PRIORITY_PATHS
    # Paths whose bodies may be larger (or must be smaller) than max_body: the alert routes.
    body_limits: tuple[tuple[str, int], ...] = ()

    def max_body_for(self, path: str) -> int:
        return next((limit for p, limit in self.body_limits if p == path), self.max_body)

    @property
    def reserve(self) -> int:
        """Slots past the general cap kept for the priority paths."""
        return max(1, min(self.max_connections // 8, 64))

    @property
    def client_reserve(self) -> int:
        return max(1, min(self.max_per_client // 8, 8))

    def within_file_limit(self) -> ConnectionLimits:
        """The cap lowered to fit the open-file limit, so sockets never exhaust it."""
        soft, _ = resource.getrlimit(resource.RLIMIT_NOFILE)
        spare = FD_HEADROOM + BACKLOG
        if soft == resource.RLIM_INFINITY or self.max_connections + spare <= soft:
            return self
        fitted = max(8, soft - spare)
        log.warning(
            "HTTP_MAX_CONNECTIONS=%d does not fit the open-file limit (%d): using %d. "
            "Raise the limit (ulimit -n, LimitNOFILE=) to allow more.",
            self.max_connections,
            soft,
            fitted,
        )
        return replace(self, max_connections=fitted)

    def trusts(self, address: str) -> bool:
        try:
            ip = ipaddress.ip_address(address)
        except ValueError:
            return False
        return any(ip in network for network in self.trusted_proxies)

    def client_of(self, peer: str, forwarded_for: str | None) -> str:
        """The client behind ``peer``: from ``X-Forwarded-For`` only when ``peer`` is a
        trusted proxy, read right to left up to the first address not trusted."""
        if not forwarded_for or not self.trusts(peer):
            return peer
        client = peer
        for entry in reversed(forwarded_for.split(",")):
            candidate = entry.strip()
            try:
                ipaddress.ip_address(candidate)
            except ValueError:
                break
            client = candidate
            if not self.trusts(candidate):
                break
        return client


@dataclass(eq=False)
class _Connection:
    client: str
    protocol: GuardedProtocol
    priority_only: bool
    in_flight: int = 0
    evicted: bool = False


@dataclass
class ConnectionGuard:
    """Counts open connections per process and per client address."""

    limits: ConnectionLimits
    refusals: RateLimitedLog = field(default_factory=lambda: RateLimitedLog(log))
    body_refusals: RateLimitedLog = field(default_factory=lambda: RateLimitedLog(log))
    refused: int = 0  # connections and requests refused since start (tests, metrics)
    _open: dict[GuardedProtocol, _Connection] = field(default_factory=dict)
    _by_handler: dict[RequestHandler, _Connection] = field(default_factory=dict)
    _per_client: Counter[str] = field(default_factory=Counter)
    _proxied_in_flight: Counter[str] = field(default_factory=Counter)

    @property
    def open_connections(self) -> int:
        return len(self._open)

    def admit(self, protocol: GuardedProtocol, client: str) -> _Connection | None:
        """A record for an accepted connection, or None: answer 503 and close."""
        limits = self.limits
        counted = not limits.trusts(client)  # a proxy's clients are counted per request
        over_client = self._per_client[client] >= limits.max_per_client + limits.client_reserve
        if counted and over_client and not self._evict_idle(client):
            self._refuse(client, "per-client")
            return None
        if len(self._open) >= limits.max_connections and not self._evict_idle(None):
            self._refuse(client, "process")
            return None
        priority_only = len(self._open) >= limits.max_connections - limits.reserve or (
            counted and self._per_client[client] >= limits.max_per_client
        )
        connection = _Connection(client, protocol, priority_only)
        self._open[protocol] = connection
        self._by_handler[protocol.handler] = connection
        if counted:
            self._per_client[client] += 1
        return connection

    def release(self, protocol: GuardedProtocol) -> None:
        connection = self._open.pop(protocol, None)
        if connection is None:
            return
        self._by_handler.pop(protocol.handler, None)
        if not self.limits.trusts(connection.client):
            self._per_client[connection.client] -= 1
            if self._per_client[connection.client] <= 0:
                del self._per_client[connection.client]

    def _evict_idle(self, client: str | None) -> bool:
        """Close the oldest connection (of ``client``, or any) with no request in flight."""
        for connection in self._open.values():
            if connection.in_flight == 0 and client in (None, connection.client):
                connection.evicted = True
                self.release(connection.protocol)
                connection.protocol.close_now()
                return True
        return False

    def _refuse(self, client: str, which: str) -> None:
        self.refused += 1
        self.refusals.warning(
            client,
            "HTTP: refused a connection from %s with 503: %s connection limit reached "
            "(%d open, %d from this client)",
            client,
            which,
            len(self._open),
            self._per_client[client],
        )

    def busy(self, client: str, request: web.Request, why: str) -> web.Response:
        self.refused += 1
        self.refusals.warning(
            client,
            "HTTP: answered 503 to %s %s from %s: %s (%d connections open)",
            request.method,
            request.raw_path[:200],  # as sent (%0A stays escaped), bounded
            client,
            why,
            len(self._open),
        )
        response = web.Response(
            status=503,
            text="Busy: please retry shortly.\n",
            headers={hdrs.RETRY_AFTER: str(RETRY_AFTER)},
        )
        response.force_close()
        return response

    @web.middleware
    async def middleware(self, request: web.Request, handler: Handler) -> web.StreamResponse:
        """Outermost: the real client as ``request.remote``, the reserve kept for the
        priority paths, the body read within its deadline and size."""
        limits = self.limits
        connection = self._by_handler.get(request.protocol)
        peer = connection.client if connection is not None else (request.remote or "")
        client = limits.client_of(peer, request.headers.get(hdrs.X_FORWARDED_FOR))
        if connection is not None:
            connection.in_flight += 1
            connection.protocol.request_started()
        proxied = client != peer
        if proxied:
            self._proxied_in_flight[client] += 1
        try:
            priority = request.path in limits.priority_paths
            if not priority and connection is not None and connection.priority_only:
                return self.busy(client, request, "connection limit reached")
            if not priority and proxied and self._proxied_in_flight[client] > limits.max_per_client:
                return self.busy(client, request, "per-client limit reached")
            if proxied or request.body_exists:  # a clone costs a third of a hub answer
                max_body = limits.max_body_for(request.path)
                request = request.clone(remote=client, client_max_size=max_body)
            refusal = await self._read_body(request, client)
            return refusal or await handler(request)
        finally:
            if connection is not None:
                connection.in_flight -= 1
            if proxied:
                self._proxied_in_flight[client] -= 1
                if self._proxied_in_flight[client] <= 0:
                    del self._proxied_in_flight[client]

    async def _read_body(self, request: web.Request, client: str) -> web.Response | None:
        """Read the body now, within HTTP_BODY_TIMEOUT and HTTP_MAX_BODY (handlers then
        get it from memory); a refusal answer, or None."""
        limits = self.limits
        if not request.body_exists or request.content_type == "multipart/form-data":
            return None
        max_body = limits.max_body_for(request.path)
        try:
            if (request.content_length or 0) > max_body:
                raise web.HTTPRequestEntityTooLarge(max_body, request.content_length or 0)
            async with asyncio.timeout(limits.body_timeout):
                await request.read()
        except TimeoutError:
            response = web.Response(status=408, text="Request body too slow.\n")
            why = f"body not received within {limits.body_timeout:g}s"
        except web.HTTPRequestEntityTooLarge:
            response = web.Response(status=413, text="Request body too large.\n")
            why = f"body over {max_body} bytes"
        else:
            return None
        self.refused += 1
        self.body_refusals.warning(
            client,
            "HTTP: answered %d to %s %s from %s: %s",
            response.status,
            request.method,
            request.raw_path[:200],  # as sent (%0A stays escaped), bounded
            client,
            why,
        )
        response.force_close()
        return response
