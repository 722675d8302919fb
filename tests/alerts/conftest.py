"""A whole bot (console platform, real HTTP server, FakeClock) with the alert routes on,
and helpers that post to them as Alertmanager, Grafana or a script would."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import aiohttp
import pytest
from sqlalchemy import func
from sqlmodel import select

from bot.app import Runtime, start
from bot.console.platform import ConsoleChat, render
from bot.settings import Settings
from storage import AlertGroup, Incident, Statement
from tests.fakes.clock import FakeClock
from tests.fakes.screen import Screen

TOKEN = "alerts-test-token-4f1c9a"
FIXTURES = Path(__file__).with_name("fixtures")


def fixture(name: str) -> dict[str, Any]:
    data: dict[str, Any] = json.loads((FIXTURES / f"{name}.json").read_text())
    return data


@dataclass
class AlertBot:
    runtime: Runtime
    screen: Screen
    url: str
    http: aiohttp.ClientSession

    @property
    def chat(self) -> ConsoleChat:
        chat = self.runtime.console
        assert chat is not None
        return chat

    async def post(
        self, route: str, body: Any, *, token: str | None = TOKEN, raw: bytes | None = None
    ) -> tuple[int, dict[str, Any]]:
        headers = {"Content-Type": "application/json"}
        if token is not None:
            headers["Authorization"] = f"Bearer {token}"
        data = raw if raw is not None else json.dumps(body).encode()
        async with self.http.post(f"{self.url}/alerts/{route}", data=data, headers=headers) as r:
            answer = await r.json() if r.content_type == "application/json" else {}
            return r.status, answer

    def channel_texts(self, channel: str) -> list[str]:
        found = self.chat.channels.get(channel)
        return [render(p.message) for p in found.messages] if found else []

    async def count(self, model: type[Any]) -> int:
        async with self.runtime.store.reading() as uow:
            return int((await uow.session.exec(select(func.count()).select_from(model))).one())

    async def incidents(self) -> list[Incident]:
        async with self.runtime.store.reading() as uow:
            return list((await uow.session.exec(select(Incident).order_by(Incident.id))).all())

    async def statements(self) -> list[Statement]:
        async with self.runtime.store.reading() as uow:
            query = select(Statement).order_by(Statement.incident_id, Statement.number)
            return list((await uow.session.exec(query)).all())

    async def groups(self) -> list[AlertGroup]:
        async with self.runtime.store.reading() as uow:
            return list((await uow.session.exec(select(AlertGroup).order_by(AlertGroup.id))).all())


BotFactory = Callable[..., Any]


@pytest.fixture
async def alert_bot(database_url: str, clock: FakeClock) -> AsyncIterator[BotFactory]:
    """``await alert_bot(**settings)`` → a started bot; stopped after the test."""
    started: list[AlertBot] = []

    async def make(**overrides: Any) -> AlertBot:
        values: dict[str, Any] = {"database_url": database_url, "http_port": 0}
        values.setdefault("alerts_token", TOKEN)
        values.update(overrides)
        screen = Screen()
        runtime = await start(
            Settings(_env_file=None, **values), console_write=screen.write, clock=clock
        )
        assert runtime.http is not None
        host, port = runtime.http.addresses[0][:2]
        bot = AlertBot(runtime, screen, f"http://{host}:{port}", aiohttp.ClientSession())
        started.append(bot)
        return bot

    yield make
    for bot in started:
        await bot.http.close()
        await bot.runtime.stop()
