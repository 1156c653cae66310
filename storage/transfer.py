"""`gepeto db migrate-to URL`: a household's rows copied from SQLite into PostgreSQL, counted.

Both databases are first brought to the same schema by the same migrations; then every table
is copied parents first (foreign keys hold at each step), PostgreSQL's id sequences are moved
past the copied ids, and the copy is refused unless every table holds as many rows as the source.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import Connection, DateTime, MetaData, Table, func, select, text
from sqlalchemy.ext.asyncio import AsyncEngine

from storage.database import StorageError, create_engine, upgrade

VERSION_TABLE = "alembic_version"
BATCH = 1000


async def copy_household(
    source_url: str, target_url: str, skill_folders: Sequence[Path] = ()
) -> dict[str, int]:
    """Copies every row into the empty target; returns each table's row count (both sides)."""
    source = create_engine(source_url)
    target = create_engine(target_url)
    try:
        await upgrade(source, skill_folders)
        await upgrade(target, skill_folders)
        async with source.connect() as reading:
            tables = await reading.run_sync(_reflect)
            filled = await _filled_tables(target, tables)
            if filled:
                raise StorageError(
                    f"The target database already holds rows ({', '.join(filled[:3])}): "
                    "migrate into an empty database."
                )
            async with target.begin() as writing:
                for table in tables:
                    await _copy_table(reading, writing, table)
        counts = await _counts(source, tables)
        copied = await _counts(target, tables)
    finally:
        await source.dispose()
        await target.dispose()
    wrong = [name for name in counts if copied.get(name) != counts[name]]
    if wrong:
        raise StorageError(
            f"The copy does not hold the same number of rows as the source ({', '.join(wrong)}); "
            "keep using the SQLite database and report this."
        )
    return counts


def _reflect(connection: Connection) -> list[Table]:
    """The source's tables, parents before children."""
    metadata = MetaData()
    metadata.reflect(connection)
    return [table for table in metadata.sorted_tables if table.name != VERSION_TABLE]


async def _filled_tables(engine: AsyncEngine, tables: list[Table]) -> list[str]:
    counts = await _counts(engine, tables)
    return [name for name, count in counts.items() if count]


async def _counts(engine: AsyncEngine, tables: list[Table]) -> dict[str, int]:
    async with engine.connect() as connection:
        return {
            table.name: int(
                (
                    await connection.execute(
                        select(func.count()).select_from(text(f'"{table.name}"'))
                    )
                ).scalar_one()
            )
            for table in tables
        }


async def _copy_table(reading: Any, writing: Any, table: Table) -> None:
    target: Table = await writing.run_sync(
        lambda sync: Table(table.name, MetaData(), autoload_with=sync)
    )
    aware = {
        column.name
        for column in target.columns
        if isinstance(column.type, DateTime) and column.type.timezone
    }
    order = [column for column in table.primary_key.columns] or list(table.columns)
    result = await reading.stream(select(table).order_by(*order))
    async for batch in result.partitions(BATCH):
        rows = [_row(dict(row._mapping), aware) for row in batch]
        await writing.execute(target.insert(), rows)
    if writing.dialect.name == "postgresql" and "id" in target.columns:
        await writing.execute(
            text(
                f"SELECT setval(pg_get_serial_sequence('\"{table.name}\"', 'id'), "
                f'coalesce(max(id), 1), max(id) IS NOT NULL) FROM "{table.name}"'
            )
        )


def _row(values: dict[str, Any], aware: set[str]) -> dict[str, Any]:
    """SQLite gives back UTC times without their zone; PostgreSQL stores them with it."""
    for name in aware:
        value = values.get(name)
        if isinstance(value, datetime) and value.tzinfo is None:
            values[name] = value.replace(tzinfo=UTC)
    return values
