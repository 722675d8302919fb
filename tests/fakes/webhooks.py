"""Webhook receivers on 127.0.0.1, as a careful integrator would write one.

Every request is verified with the Standard Webhooks library
(``standardwebhooks.Webhook(secret).verify``); a bad signature gets 401 and is
remembered as such. A message is *accepted* once per ``webhook-id`` (receivers
deduplicate on it), so ``accepted`` says what a downstream system would have
stored. Each path answers from a script of ``Answer``s (then 200); an answer can
hold the request on an ``asyncio.Event`` so a test can catch the sender mid-flight.
"""

from __future__ import annotations

import asyncio
import base64
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager, suppress
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web
from standardwebhooks import Webhook, WebhookVerificationError

SECRET = "whsec_" + base64.b64encode(b"candor-tests-webhook-secret-0123456789").decode()
HOLD_LIMIT = 15.0  # a held request is answered anyway after this (tests never hang)


@dataclass
class Answer:
    status: int = 200
    headers: dict[str, str] = field(default_factory=dict)
    hold: asyncio.Event | None = None  # answer only once this is set
    accept: bool | None = None  # store the message on arrival (default: when status is 2xx)


@dataclass(frozen=True)
class Hit:
    path: str
    webhook_id: str
    verified: bool
    status: int
    payload: Any = None


class Receivers:
    def __init__(self, secret: str = SECRET) -> None:
        self.verifier = Webhook(secret)
        self.hits: list[Hit] = []
        self.accepted: dict[str, dict[str, Any]] = {}  # path → webhook-id → payload
        self.events: list[tuple[str, str]] = []  # ("arrived" | "answered", path), in order
        self.scripts: dict[str, list[Answer]] = {}
        self.base_url = ""
        self._changed = asyncio.Condition()
        self._holds: list[asyncio.Event] = []

    def url(self, path: str) -> str:
        return f"{self.base_url}{path}"

    def script(self, path: str, *answers: Answer) -> None:
        self.scripts.setdefault(path, []).extend(answers)
        self._holds.extend(a.hold for a in answers if a.hold is not None)

    def hits_to(self, path: str) -> list[Hit]:
        return [hit for hit in self.hits if hit.path == path]

    def arrived(self, path: str) -> int:
        return sum(1 for kind, where in self.events if kind == "arrived" and where == path)

    async def wait_until(self, condition: Callable[[], bool], limit: float = 10.0) -> None:
        async def until() -> None:
            async with self._changed:
                await self._changed.wait_for(condition)

        await asyncio.wait_for(until(), limit)

    async def _note(self, kind: str, path: str) -> None:
        async with self._changed:
            self.events.append((kind, path))
            self._changed.notify_all()

    async def handle(self, request: web.Request) -> web.Response:
        path, body = request.path, await request.read()
        webhook_id = request.headers.get("webhook-id", "")
        try:
            payload = self.verifier.verify(body, dict(request.headers))
        except WebhookVerificationError:
            self.hits.append(Hit(path, webhook_id, False, 401))
            await self._note("arrived", path)
            return web.Response(status=401, text="bad signature")
        script = self.scripts.get(path) or []
        answer = script.pop(0) if script else Answer()
        accept = answer.accept if answer.accept is not None else 200 <= answer.status < 300
        if accept:
            self.accepted.setdefault(path, {}).setdefault(webhook_id, payload)
        self.hits.append(Hit(path, webhook_id, True, answer.status, payload))
        await self._note("arrived", path)
        if answer.hold is not None:
            with suppress(TimeoutError):
                await asyncio.wait_for(answer.hold.wait(), HOLD_LIMIT)
        await self._note("answered", path)
        return web.Response(status=answer.status, headers=answer.headers, text="ok")

    def release_all(self) -> None:
        for hold in self._holds:
            hold.set()


@asynccontextmanager
async def running_receivers(secret: str = SECRET) -> AsyncIterator[Receivers]:
    receivers = Receivers(secret)
    app = web.Application()
    app.router.add_post("/{tail:.*}", receivers.handle)
    runner = web.AppRunner(app, access_log=None, shutdown_timeout=1.0)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    host, port = runner.addresses[0][:2]
    receivers.base_url = f"http://{host}:{port}"
    try:
        yield receivers
    finally:
        receivers.release_all()
        await runner.cleanup()
