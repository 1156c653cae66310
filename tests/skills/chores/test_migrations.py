"""The chores tables come from its own migrations: a new database and a family's existing one
end up the same, and the migrations match the tables the code uses (issue 13, item 12)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import Connection, inspect, text
from sqlmodel import SQLModel

from skills.chores import SKILL
from storage.database import create_engine, pending_migrations, upgrade

CHORE_TABLES = ("chore", "chore_member", "chore_turn", "chore_absence", "chore_claim")


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


async def migrated_schema(path: Path, *, family_first: bool) -> dict[str, Any]:
    engine = create_engine(f"sqlite+aiosqlite:///{path}")
    assert SKILL.migrations is not None
    try:
        if family_first:  # a family's database from before chores existed
            await upgrade(engine)
            async with engine.begin() as connection:
                await connection.execute(
                    text("INSERT INTO household (name, created_at) VALUES ('Us', '2026-01-01')")
                )
        await upgrade(engine, [SKILL.migrations])
        assert await pending_migrations(engine, [SKILL.migrations]) == []
        async with engine.connect() as connection:
            return await connection.run_sync(schema)
    finally:
        await engine.dispose()


async def test_a_new_database_and_an_upgraded_one_have_the_same_schema(tmp_path: Path) -> None:
    fresh = await migrated_schema(tmp_path / "fresh.db", family_first=False)
    upgraded = await migrated_schema(tmp_path / "upgraded.db", family_first=True)

    assert set(CHORE_TABLES) <= set(fresh)
    assert fresh == upgraded


async def test_the_migrations_match_the_chore_tables_in_the_code(tmp_path: Path) -> None:
    engine = create_engine(f"sqlite+aiosqlite:///{tmp_path / 'gepeto.db'}")
    assert SKILL.migrations is not None
    try:
        await upgrade(engine, [SKILL.migrations])

        def differences(connection: Connection) -> list[Any]:
            context = MigrationContext.configure(connection)
            found = compare_metadata(context, SQLModel.metadata)
            return [d for d in found if any(table in repr(d) for table in CHORE_TABLES)]

        async with engine.connect() as connection:
            assert await connection.run_sync(differences) == []
    finally:
        await engine.dispose()
