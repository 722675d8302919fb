"""The fake Discord's REST plumbing: a route table keyed by discord.py's route templates,
bot-token auth, a record of every call, fault injection, and Discord-shaped answers
(`Content-Type: application/json` exactly, rate-limit headers, error bodies)."""

from __future__ import annotations

import hashlib
import json
import math
import re
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web

from tests.fakes.discord_guilds import DiscordError

JSON = {"Content-Type": "application/json"}  # exactly: discord.py compares the header as is


@dataclass
class RestRequest:
    method: str
    path: str
    route: str  # "POST /channels/{channel_id}/messages"
    params: dict[str, str]
    json: Any
    query: dict[str, str]
    headers: dict[str, str]


# A handler answers (status, body); body None means an empty 204-style answer.
Handler = Callable[[RestRequest], Awaitable[tuple[int, Any]]]


@dataclass
class Call:
    """One REST call as received, and what the fake answered."""

    method: str
    path: str
    route: str
    params: dict[str, str]
    json: Any
    query: dict[str, str]
    headers: dict[str, str]
    status: int = 0
    response: Any = None


@dataclass
class Fault:
    route: str
    status: int
    code: int
    message: str
    times: int
    params: dict[str, str]
    retry_after: float = 1.0
    is_global: bool = False
    processed: bool = False  # the call takes effect before the error is answered

    def takes(self, request: RestRequest) -> bool:
        wanted = all(request.params.get(k) == v for k, v in self.params.items())
        if self.times <= 0 or request.route != self.route or not wanted:
            return False
        self.times -= 1
        return True

    def answer(self) -> web.Response:
        if self.status == 429:
            return rate_limited(self.retry_after, self.is_global, self.route)
        if self.status >= 500 and self.code == 0:
            # Discord's edge answers 5xx with an HTML page, not JSON.
            return web.Response(
                status=self.status, text="<html>upstream error</html>", content_type="text/html"
            )
        return json_response(self.status, {"message": self.message, "code": self.code})


@dataclass
class Rest:
    token: str | None
    calls: list[Call] = field(default_factory=list)
    faults: list[Fault] = field(default_factory=list)
    _routes: list[tuple[str, str, re.Pattern[str], Handler, bool]] = field(default_factory=list)

    def add(self, method: str, template: str, handler: Handler, *, auth: bool = True) -> None:
        pattern = re.sub(r"\\\{(\w+)\\\}", r"(?P<\1>[^/]+)", re.escape(template))
        self._routes.append((method, template, re.compile(pattern + "$"), handler, auth))

    def match(self, method: str, path: str) -> tuple[str, dict[str, str], Handler, bool] | None:
        for route_method, template, pattern, handler, auth in self._routes:
            found = pattern.match(path)
            if found and route_method == method:
                return f"{method} {template}", found.groupdict(), handler, auth
        return None

    def fail(self, route: str, **fault: Any) -> None:
        method, _, template = route.partition(" ")
        if not any(m == method and t == template for m, t, *_ in self._routes):
            raise ValueError(f"no such route {route!r}; known: {sorted(self.route_names())}")
        self.faults.append(Fault(route=route, **fault))

    def route_names(self) -> list[str]:
        return [f"{m} {t}" for m, t, *_ in self._routes]

    async def serve(self, request: web.Request, base_path: str) -> web.Response:
        path = request.path.removeprefix(base_path)
        found = self.match(request.method, path)
        call = Call(request.method, path, "", {}, None, dict(request.query), dict(request.headers))
        self.calls.append(call)
        if found is None:
            call.status = 404
            return json_response(404, {"message": "404: Not Found", "code": 0})
        call.route, call.params, handler, auth = found
        call.json = await read_json(request)
        rest_request = RestRequest(
            request.method, path, call.route, call.params, call.json, call.query, call.headers
        )
        response = await self._answer(rest_request, handler, auth)
        call.status = response.status
        if isinstance(response.body, bytes) and response.content_type == "application/json":
            call.response = json.loads(response.body)
        return response

    async def _answer(self, request: RestRequest, handler: Handler, auth: bool) -> web.Response:
        if auth and not self._authorised(request.headers):
            return json_response(401, {"message": "401: Unauthorized", "code": 0})
        fault = next((f for f in self.faults if f.takes(request)), None)
        if fault is not None and not fault.processed:
            return fault.answer()
        try:
            status, body = await handler(request)
        except DiscordError as error:
            return json_response(error.status, error.body())
        if fault is not None:
            return fault.answer()
        if body is None:
            return web.Response(status=204, headers=ok_headers(request.route))
        return json_response(status, body, ok_headers(request.route))

    def _authorised(self, headers: dict[str, str]) -> bool:
        given = headers.get("Authorization", "")
        if self.token is None:
            return given.startswith("Bot ")
        return given == f"Bot {self.token}"


def json_response(status: int, body: Any, headers: dict[str, str] | None = None) -> web.Response:
    return web.Response(
        status=status, body=json.dumps(body).encode(), headers={**JSON, **(headers or {})}
    )


def bucket(route: str) -> str:
    return hashlib.sha256(route.encode()).hexdigest()[:16]


def ok_headers(route: str) -> dict[str, str]:
    """Rate-limit headers with plenty left, so discord.py never waits pre-emptively."""
    return {
        "X-RateLimit-Limit": "50",
        "X-RateLimit-Remaining": "49",
        "X-RateLimit-Reset": f"{time.time() + 1:.3f}",
        "X-RateLimit-Reset-After": "1.000",
        "X-RateLimit-Bucket": bucket(route),
    }


def rate_limited(retry_after: float, is_global: bool, route: str) -> web.Response:
    """A 429 as Discord sends it. discord.py only trusts a 429 that came through
    Discord's proxy (`Via` header); without it, it assumes a Cloudflare ban."""
    body = {
        "message": "You are being rate limited.",
        "retry_after": retry_after,
        "global": is_global,
        "code": 0,
    }
    headers = {
        "Retry-After": str(math.ceil(retry_after)),
        "X-RateLimit-Limit": "5",
        "X-RateLimit-Remaining": "0",
        "X-RateLimit-Reset": f"{time.time() + retry_after:.3f}",
        "X-RateLimit-Reset-After": f"{retry_after:.3f}",
        "X-RateLimit-Bucket": bucket(route),
        "X-RateLimit-Scope": "global" if is_global else "user",
        "Via": "1.1 google",
    }
    if is_global:
        headers["X-RateLimit-Global"] = "true"
    return json_response(429, body, headers)


async def read_json(request: web.Request) -> Any:
    """The JSON body, or `payload_json` of a multipart upload (messages with files)."""
    if not request.body_exists:
        return None
    if request.content_type.startswith("multipart/"):
        form = await request.post()
        raw = form.get("payload_json")
        return json.loads(str(raw)) if raw is not None else {}
    text = await request.text()
    return json.loads(text) if text else None
