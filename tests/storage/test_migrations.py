"""Migrations and models agree: on a fresh database, on a family's older one, and per skill."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterable, Iterator
from contextlib import closing
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import Connection, text
from sqlalchemy.ext.asyncio import AsyncEngine
from sqlmodel import SQLModel, select

from bot.app import open_app
from bot.clock import ManualClock
from bot.config import load_config
from bot.context import AppContext
from bot.doctor import run_checks
from bot.skills import builtin_skills, load_skills, migration_folders
from storage.database import StorageError, create_engine, upgrade
from tests.support.home import HOUSEHOLD_SKILL, write_bot_toml
from tests.support.pantry import PantryItem

PANTRY_SKILL = "tests.support.pantry"
PANTRY_MIGRATIONS = Path(__file__).parents[1] / "support" / "pantry" / "migrations"
BEFORE_NAMES = Path(__file__).with_name("before_constraint_names.sql")
CORE_HEAD = "0006"


def write_pantry_toml(directory: Path) -> Path:
    """A household in `directory` that also loads the pantry skill, with its own table."""
    path = write_bot_toml(directory)
    text_ = path.read_text(encoding="utf-8")
    plugins = f'plugins = ["{HOUSEHOLD_SKILL}"]'
    path.write_text(
        text_.replace(plugins, f'plugins = ["{HOUSEHOLD_SKILL}", "{PANTRY_SKILL}"]'),
        encoding="utf-8",
    )
    return path


def model_tables() -> Iterator[tuple[str, str]]:
    """(module, table name) of every SQLModel table class imported so far."""
    waiting: list[type[SQLModel]] = [SQLModel]
    while waiting:
        model = waiting.pop()
        waiting.extend(model.__subclasses__())
        table = getattr(model, "__table__", None)
        if table is not None:
            yield model.__module__, str(table.name)


def tables_of(packages: Iterable[str]) -> set[str]:
    """Tables defined by models in these packages (and no other test's tables)."""
    prefixes = tuple(packages)
    return {
        table
        for module, table in model_tables()
        if any(module == p or module.startswith(p + ".") for p in prefixes)
    }


async def differences(engine: AsyncEngine, plugins: Iterable[str] = ()) -> list[Any]:
    """What autogenerate would change: storage's and the loaded skills' models vs the database."""
    wanted = tables_of(("storage", *builtin_skills(), *plugins))

    def include(_obj: object, name: str | None, kind: str, reflected: bool, model: object) -> bool:
        if kind != "table":
            return True
        unknown = reflected and model is None and name not in SQLModel.metadata.tables
        return name in wanted or unknown

    def compare(connection: Connection) -> list[Any]:
        context = MigrationContext.configure(
            connection, opts={"compare_type": True, "include_object": include}
        )
        return list(compare_metadata(context, SQLModel.metadata))

    async with engine.connect() as connection:
        return await connection.run_sync(compare)


def sqlite(database: Path) -> closing[sqlite3.Connection]:
    return closing(sqlite3.connect(database))


def schema(database: Path) -> dict[str, str]:
    with sqlite(database) as connection:
        rows = connection.execute("SELECT name, sql FROM sqlite_master WHERE sql IS NOT NULL")
        return {name: sql for name, sql in rows}


def constraints(database: Path) -> dict[str, set[tuple[object, ...]]]:
    """Each table's named keys, uniques, foreign keys and indexes, as SQLAlchemy reads them."""
    engine = sqlalchemy.create_engine(f"sqlite:///{database}")
    try:
        inspector = sqlalchemy.inspect(engine)
        found: dict[str, set[tuple[object, ...]]] = {}
        for table in inspector.get_table_names():
            key = inspector.get_pk_constraint(table)
            rows: set[tuple[object, ...]] = {("pk", key["name"], *key["constrained_columns"])}
            rows |= {
                ("uq", u["name"], *u["column_names"])
                for u in inspector.get_unique_constraints(table)
            }
            rows |= {
                ("fk", f["name"], f["referred_table"], f["options"].get("ondelete"))
                for f in inspector.get_foreign_keys(table)
            }
            rows |= {("ix", i["name"], i["unique"]) for i in inspector.get_indexes(table)}
            found[table] = rows
        return found
    finally:
        engine.dispose()


def row_counts(database: Path) -> dict[str, int]:
    with sqlite(database) as connection:
        return {
            table: connection.execute(f'SELECT count(*) FROM "{table}"').fetchone()[0]
            for (table,) in connection.execute(
                "SELECT name FROM sqlite_master WHERE type = 'table' AND name != 'alembic_version'"
            )
        }


def older_family_database(data_dir: Path) -> Path:
    """gepeto.db as Gepeto made it before constraint names, with a family of two in it."""
    data_dir.mkdir(parents=True, exist_ok=True)
    database = data_dir / "gepeto.db"
    with sqlite(database) as connection:
        connection.executescript(BEFORE_NAMES.read_text(encoding="utf-8"))
    return database


async def fresh_constraints(directory: Path) -> dict[str, set[tuple[object, ...]]]:
    database = directory / "fresh.db"
    engine = create_engine(f"sqlite+aiosqlite:///{database}")
    try:
        await upgrade(engine, migration_folders(load_skills()))
    finally:
        await engine.dispose()
    return constraints(database)


async def test_a_fresh_database_is_exactly_what_the_models_describe(tmp_path: Path) -> None:
    engine = create_engine(f"sqlite+aiosqlite:///{tmp_path / 'gepeto.db'}")
    try:
        await upgrade(engine, migration_folders(load_skills()))
        assert await differences(engine) == []
    finally:
        await engine.dispose()
    member = schema(tmp_path / "gepeto.db")["member"]
    assert "CONSTRAINT uq_member_household_id_name_key UNIQUE" in member
    assert "CONSTRAINT fk_member_household_id_household FOREIGN KEY" in member


@pytest.mark.sqlite_only
async def test_an_older_family_database_keeps_everyone_and_gets_the_same_schema(
    tmp_path: Path, clock: ManualClock
) -> None:
    database = older_family_database(tmp_path / "data")
    before = row_counts(database)
    assert "CONSTRAINT" not in schema(database)["member"]

    async with open_app(load_config(write_bot_toml(tmp_path), environ={}), clock=clock) as app:
        assert [m.name for m in await app.family.members()] == ["Ana", "Leo"]
        assert await differences(app.engine) == []
        async with app.engine.connect() as connection:
            assert (await connection.execute(text("PRAGMA foreign_keys"))).scalar_one() == 1
        await app.family.remove("Leo")

    # Leo's links, code, facts and jobs go with him: the rebuilt tables still cascade. The one
    # job left is the system skill's own hourly media clean-up, filed at start-up.
    leo_gone = {"member": 1, "identity": 1, "pairing_code": 0, "memory_fact": 0}
    leo_gone |= {"scheduled_job": 1, "job_firing": 0}
    after = row_counts(database)
    assert {table: after[table] for table in before} == before | leo_gone
    assert {after[table] for table in set(after) - set(before)} <= {0}  # the skills' new tables
    assert constraints(database) == await fresh_constraints(tmp_path)


async def test_an_upgrade_that_would_orphan_rows_changes_nothing(tmp_path: Path) -> None:
    database = older_family_database(tmp_path)
    with sqlite(database) as connection:
        connection.execute("INSERT INTO identity VALUES (9, 99, 'matrix', '@gone:home', '2026')")
        connection.commit()
    before = schema(database)
    engine = create_engine(f"sqlite+aiosqlite:///{database}")
    try:
        with pytest.raises(StorageError, match="rows of identity pointing at rows"):
            await upgrade(engine)
    finally:
        await engine.dispose()
    assert schema(database) == before
    with sqlite(database) as connection:
        versions = connection.execute("SELECT version_num FROM alembic_version").fetchall()
    assert versions == [("0003",)]


async def test_the_migrated_database_is_exactly_what_the_models_describe(app: AppContext) -> None:
    """On SQLite and on PostgreSQL alike: the same migrations give the models' schema."""
    assert await differences(app.engine) == []


async def test_a_skill_migration_branch_creates_its_table_beside_the_core(
    tmp_path: Path, clock: ManualClock, no_outside_settings: None
) -> None:
    config = load_config(write_pantry_toml(tmp_path), environ={})
    async with open_app(config, clock=clock) as app:
        ana = await app.family.add("Ana", "parent")
        async with app.sessions() as session:
            session.add(PantryItem(member_id=ana.id, name="rice", added_at=clock.now()))
            await session.commit()
        async with app.sessions() as session:
            assert [item.name for item in await session.exec(select(PantryItem))] == ["rice"]
        async with app.engine.connect() as connection:
            heads = await connection.execute(text("SELECT version_num FROM alembic_version"))
            assert {CORE_HEAD, "pantry_0001"} <= set(heads.scalars())
        assert await differences(app.engine, [HOUSEHOLD_SKILL, PANTRY_SKILL]) == []

    checks = {check.name: check for check in await run_checks(config.source)}
    assert checks["database"].ok, checks["database"].detail


async def test_doctor_names_a_skill_migration_not_yet_applied(
    tmp_path: Path, clock: ManualClock, no_outside_settings: None
) -> None:
    async with open_app(load_config(write_bot_toml(tmp_path), environ={}), clock=clock):
        pass
    pantry_toml = write_pantry_toml(tmp_path)

    checks = {check.name: check for check in await run_checks(pantry_toml)}

    assert not checks["database"].ok
    assert checks["database"].detail == "1 migration(s) not applied"
    assert "gepeto db upgrade" in checks["database"].fix


async def test_the_compare_ignores_tables_of_skills_that_are_not_loaded(tmp_path: Path) -> None:
    assert "pantry_item" in SQLModel.metadata.tables
    engine = create_engine(f"sqlite+aiosqlite:///{tmp_path / 'gepeto.db'}")
    try:
        await upgrade(engine, migration_folders(load_skills()))
        assert await differences(engine) == []
        missing = await differences(engine, [PANTRY_SKILL])
        assert [(kind, thing.name) for kind, thing in missing] == [
            ("add_table", "pantry_item"),
            ("add_index", "ix_pantry_item_member_id"),
        ]
    finally:
        await engine.dispose()


async def test_a_skill_taken_out_after_its_migration_ran_is_named_in_one_sentence(
    tmp_path: Path, clock: ManualClock, no_outside_settings: None
) -> None:
    async with open_app(load_config(write_pantry_toml(tmp_path), environ={}), clock=clock):
        pass
    without_pantry = load_config(write_bot_toml(tmp_path), environ={})

    with pytest.raises(StorageError, match=r"^The database holds the tables of a skill") as told:
        async with open_app(without_pantry, clock=clock):
            pass
    assert "pantry_0001" in str(told.value)
    assert "[skills] plugins" in str(told.value)
