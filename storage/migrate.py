"""Run Alembic migrations on a connection we already hold (works inside a running loop)."""

from __future__ import annotations

from pathlib import Path
from typing import Protocol

from alembic import command
from alembic.config import Config
from sqlalchemy.engine import Connection
from sqlalchemy.ext.asyncio import AsyncEngine

MIGRATIONS = Path(__file__).with_name("migrations")


class HasEngine(Protocol):
    """A ``storage.store.Store`` (named structurally: the store imports this module)."""

    @property
    def engine(self) -> AsyncEngine: ...


def alembic_config(connection: Connection | None = None) -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    if connection is not None:
        config.attributes["connection"] = connection
    return config


def upgrade_connection(connection: Connection) -> None:
    command.upgrade(alembic_config(connection), "head")


def _current_revision(connection: Connection) -> str | None:
    from alembic.runtime.migration import MigrationContext

    return MigrationContext.configure(connection).get_current_revision()


def _head_revision() -> str | None:
    from alembic.script import ScriptDirectory

    return ScriptDirectory.from_config(alembic_config()).get_current_head()


async def schema_is_current(store: HasEngine) -> bool:
    async with store.engine.connect() as connection:
        current = await connection.run_sync(_current_revision)
    return current == _head_revision()
