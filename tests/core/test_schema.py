"""The migrations build exactly the tables the models describe, with due times indexed."""

from __future__ import annotations

from typing import Any

from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import inspect
from sqlmodel import SQLModel

from storage import Store

DUE_COLUMNS = {
    "incidents": "next_update_due_at",
    "tasks": "due_at",
    "reminders": "fire_at",
    "deliveries": "next_attempt_at",
}


async def test_migrations_match_the_models(store: Store) -> None:
    def diff(connection: Any) -> list[Any]:
        context = MigrationContext.configure(connection, opts={"compare_type": True})
        return list(compare_metadata(context, SQLModel.metadata))

    async with store.engine.connect() as connection:
        assert await connection.run_sync(diff) == []


async def test_every_due_time_column_is_indexed(store: Store) -> None:
    def indexed(connection: Any) -> dict[str, set[str]]:
        inspector = inspect(connection)
        return {
            table: {col for index in inspector.get_indexes(table) for col in index["column_names"]}
            for table in DUE_COLUMNS
        }

    async with store.engine.connect() as connection:
        columns = await connection.run_sync(indexed)
    for table, column in DUE_COLUMNS.items():
        assert column in columns[table], f"{table}.{column} is not indexed"
