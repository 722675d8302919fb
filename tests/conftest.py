"""Shared fixtures: a fresh, migrated database per test (SQLite by default,
PostgreSQL when CANDOR_TEST_DATABASE_URL is set), and a team driving a Desk."""

from __future__ import annotations

import asyncio
import os
import shutil
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest
from sqlalchemy import text
from sqlmodel import SQLModel

from storage import Store, in_unit_of_work
from tests.fakes.chat import RecordingChat, outside_transactions
from tests.fakes.clock import FakeClock
from tests.team import Team

PG_URL = os.environ.get("CANDOR_TEST_DATABASE_URL")
# Every bot a test starts (in this process or as a `candor` child, which inherits this)
# binds its internal listener to a free port, never the shared default 9090.
os.environ.setdefault("ADMIN_HTTP_PORT", "0")


@pytest.fixture(autouse=True)
def platform_calls_outside_transactions(monkeypatch: pytest.MonkeyPatch) -> None:
    """Every call the real Slack and Discord clients make, in every test, is checked to be
    outside a write transaction (issue 14), as RecordingChat checks its own."""
    from discord.http import HTTPClient
    from slack_sdk.web.async_client import AsyncWebClient

    slack_call, discord_request = AsyncWebClient.api_call, HTTPClient.request

    async def api_call(self: AsyncWebClient, *args: object, **kwargs: object) -> object:
        outside_transactions()
        return await slack_call(self, *args, **kwargs)  # type: ignore[arg-type]

    async def request(self: HTTPClient, *args: object, **kwargs: object) -> object:
        outside_transactions()
        return await discord_request(self, *args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(AsyncWebClient, "api_call", api_call)
    monkeypatch.setattr(HTTPClient, "request", request)
    assert not in_unit_of_work()


async def _reset_postgres(url: str) -> None:
    store = Store(url)
    async with store.engine.begin() as connection:
        await connection.execute(text("DROP SCHEMA IF EXISTS public CASCADE"))
        await connection.execute(text("CREATE SCHEMA public"))
    await store.migrate()
    await store.dispose()


@pytest.fixture(scope="session")
def migrated_template(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """Migrate once per session: a SQLite file to copy, or the PostgreSQL schema."""
    if PG_URL:
        asyncio.run(_reset_postgres(PG_URL))
        yield PG_URL
        return
    path = tmp_path_factory.mktemp("db") / "template.db"
    store = Store(f"sqlite+aiosqlite:///{path}")
    asyncio.run(store.migrate())
    asyncio.run(store.dispose())
    yield str(path)


@pytest.fixture
async def database_url(migrated_template: str, tmp_path: Path) -> str:
    if PG_URL:
        store = Store(PG_URL)
        tables = ", ".join(t.name for t in SQLModel.metadata.sorted_tables)
        async with store.engine.begin() as connection:
            await connection.execute(text(f"TRUNCATE {tables} RESTART IDENTITY CASCADE"))
        await store.dispose()
        return PG_URL
    target = tmp_path / "candor.db"
    shutil.copy(migrated_template, target)
    return f"sqlite+aiosqlite:///{target}"


@pytest.fixture
async def store(database_url: str) -> AsyncIterator[Store]:
    store = Store(database_url)
    yield store
    await store.dispose()


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def chat() -> RecordingChat:
    return RecordingChat()


@pytest.fixture
def team(store: Store, clock: FakeClock, chat: RecordingChat) -> Team:
    return Team.build(store, clock, chat)
