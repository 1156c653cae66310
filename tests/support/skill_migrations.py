"""Checks every skill's own migrations deserve: a new database and a family's existing one end up
the same, and the migrations create exactly the tables the skill's code uses."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import Connection, inspect, text
from sqlmodel import SQLModel

from bot.skills import Skill
from storage.database import create_engine, pending_migrations, upgrade


def schema(connection: Connection) -> dict[str, Any]:
    """Every table's columns, keys, indexes and constraints, as SQLite reports them."""
    found = inspect(connection)
    return {
        table: {
            "columns": [
                (c["name"], str(c["type"]), c["nullable"]) for c in found.get_columns(table)
            ],
            "foreign_keys": sorted(
                (tuple(fk["constrained_columns"]), fk["referred_table"], str(fk["options"]))
                for fk in found.get_foreign_keys(table)
            ),
            "indexes": sorted(
                (i["name"], tuple(i["column_names"])) for i in found.get_indexes(table)
            ),
            "unique": sorted(
                tuple(u["column_names"]) for u in found.get_unique_constraints(table)
            ),
        }
        for table in sorted(found.get_table_names())
    }


async def migrated_schema(skill: Skill, path: Path, *, family_first: bool) -> dict[str, Any]:
    """The schema after the skill's migrations, on a new database or a family's older one."""
    assert skill.migrations is not None
    engine = create_engine(f"sqlite+aiosqlite:///{path}")
    try:
        if family_first:  # a family's database from before the skill existed
            await upgrade(engine)
            async with engine.begin() as connection:
                await connection.execute(
                    text("INSERT INTO household (name, created_at) VALUES ('Us', '2026-01-01')")
                )
        await upgrade(engine, [skill.migrations])
        assert await pending_migrations(engine, [skill.migrations]) == []
        async with engine.connect() as connection:
            return await connection.run_sync(schema)
    finally:
        await engine.dispose()


async def code_differences(skill: Skill, tables: Sequence[str], path: Path) -> list[Any]:
    """What Alembic's autogenerate would still change in the skill's tables after migrating."""
    assert skill.migrations is not None
    engine = create_engine(f"sqlite+aiosqlite:///{path}")
    try:
        await upgrade(engine, [skill.migrations])

        def differences(connection: Connection) -> list[Any]:
            found = compare_metadata(MigrationContext.configure(connection), SQLModel.metadata)
            return [d for d in found if any(table in repr(d) for table in tables)]

        async with engine.connect() as connection:
            return await connection.run_sync(differences)
    finally:
        await engine.dispose()
