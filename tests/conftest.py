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

from storage import Store
from tests.fakes.chat import RecordingChat
from tests.fakes.clock import FakeClock
from tests.team import Team

PG_URL = os.environ.get("CANDOR_TEST_DATABASE_URL")
# Every bot a test starts (in this process or as a `candor` child, which inherits this)
# binds its internal listener to a free port, never the shared default 9090.
os.environ.setdefault("ADMIN_HTTP_PORT", "0")


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
