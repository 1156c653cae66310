"""The async database engine, its SQLite settings, and applying migrations at start-up."""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from alembic import command
from alembic.config import Config as AlembicConfig
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Connection, event
from sqlalchemy.ext.asyncio import AsyncEngine, async_sessionmaker, create_async_engine
from sqlmodel.ext.asyncio.session import AsyncSession

MIGRATIONS = Path(__file__).parent / "migrations"

SessionFactory = async_sessionmaker[AsyncSession]


def create_engine(url: str) -> AsyncEngine:
    """An engine with WAL, a busy timeout and foreign keys when the database is SQLite."""
    if url.startswith("sqlite"):
        database = url.split("///", 1)[-1]
        if database and database != ":memory:":
            Path(database).parent.mkdir(parents=True, exist_ok=True)
    engine = create_async_engine(url)
    if engine.dialect.name == "sqlite":
        event.listen(engine.sync_engine, "connect", _tune_sqlite)
    return engine


def _tune_sqlite(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA busy_timeout=5000")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.close()


def session_factory(engine: AsyncEngine) -> SessionFactory:
    return async_sessionmaker(engine, class_=AsyncSession, expire_on_commit=False)


def _alembic_config(connection: Connection, skill_folders: Sequence[Path] = ()) -> AlembicConfig:
    """The core migrations plus each skill's own folder (a branch on the core head)."""
    config = AlembicConfig()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.set_main_option("path_separator", "os")
    locations = [MIGRATIONS / "versions", *skill_folders]
    config.set_main_option("version_locations", os.pathsep.join(str(p) for p in locations))
    config.attributes["connection"] = connection
    return config


async def upgrade(engine: AsyncEngine, skill_folders: Sequence[Path] = ()) -> None:
    """Applies every migration not yet applied, core and skills; safe to call on every start."""
    async with engine.begin() as connection:
        await connection.run_sync(
            lambda sync: command.upgrade(_alembic_config(sync, skill_folders), "heads")
        )


async def pending_migrations(engine: AsyncEngine, skill_folders: Sequence[Path] = ()) -> list[str]:
    """Revisions the database still lacks (empty when it is up to date)."""

    def check(connection: Connection) -> list[str]:
        script = ScriptDirectory.from_config(_alembic_config(connection, skill_folders))
        applied: set[str] = set()
        for head in MigrationContext.configure(connection).get_current_heads():
            applied.update(rev.revision for rev in script.iterate_revisions(head, "base"))
        return [rev.revision for rev in script.walk_revisions() if rev.revision not in applied]

    async with engine.connect() as connection:
        return await connection.run_sync(check)
