"""The database: migrations at start-up, SQLite settings, `gepeto db upgrade`, and aware times."""

from __future__ import annotations

import os
import sqlite3
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import event, inspect, text
from sqlalchemy.exc import IntegrityError, OperationalError, StatementError
from sqlmodel import select

from bot.app import open_app
from bot.clock import ManualClock
from bot.config import Config
from bot.context import AppContext
from bot.family import Member
from bot.skills import migration_folders
from storage.database import create_engine, pending_migrations, session_factory, upgrade
from storage.models import AuditEntry, Identity, PendingConfirmation
from tests.support.cli import Gepeto


async def scalar(app: AppContext, sql: str) -> object:
    async with app.engine.connect() as connection:
        return (await connection.execute(text(sql))).scalar_one()


async def test_start_up_applies_every_migration(app: AppContext) -> None:
    folders = migration_folders(loaded.skill for loaded in app.skills)
    assert await pending_migrations(app.engine, folders) == []
    async with app.engine.connect() as connection:
        tables = await connection.run_sync(lambda sync: inspect(sync).get_table_names())
    for table in ("household", "member", "identity", "inbox_event", "outbox_message"):
        assert table in tables


@pytest.mark.sqlite_only
async def test_sqlite_runs_in_wal_mode_with_foreign_keys_and_a_busy_timeout(
    app: AppContext,
) -> None:
    assert await scalar(app, "PRAGMA journal_mode") == "wal"
    assert await scalar(app, "PRAGMA foreign_keys") == 1
    assert await scalar(app, "PRAGMA busy_timeout") == 5000


async def test_foreign_keys_are_enforced_and_removing_a_member_removes_their_links(
    app: AppContext, parent: Member
) -> None:
    async with app.sessions() as session:
        session.add(
            Identity(member_id=999, channel="telegram", address="77", created_at=app.clock.now())
        )
        with pytest.raises(IntegrityError):
            await session.commit()

    await app.family.remove("Ana")

    async with app.sessions() as session:
        assert list(await session.exec(select(Identity))) == []


async def test_opening_again_keeps_the_family_and_applies_nothing_twice(
    config: Config, clock: ManualClock
) -> None:
    async with open_app(config, clock=clock) as first:
        await first.family.add("Ana", "parent")
    async with open_app(config, clock=clock) as second:
        assert [member.name for member in await second.family.members()] == ["Ana"]
        folders = migration_folders(loaded.skill for loaded in second.skills)
        assert await pending_migrations(second.engine, folders) == []


async def test_a_new_database_reports_its_missing_migrations(tmp_path: Path) -> None:
    engine = create_engine(f"sqlite+aiosqlite:///{tmp_path / 'fresh' / 'gepeto.db'}")
    try:
        assert "0001" in await pending_migrations(engine)
        await upgrade(engine)
        assert await pending_migrations(engine) == []
    finally:
        await engine.dispose()


@pytest.mark.sqlite_only
def test_db_upgrade_creates_and_migrates_the_database(gepeto: Gepeto, tmp_path: Path) -> None:
    first = gepeto("db", "upgrade")
    again = gepeto("db", "upgrade")

    assert first.exit_code == 0, first.stderr
    assert "The database is up to date." in first.stdout
    assert again.exit_code == 0, again.stderr
    assert (tmp_path / "data" / "gepeto.db").is_file()
    assert "✓ │ database" in gepeto("doctor").stdout


async def test_aware_times_come_back_aware_and_as_the_same_instant(
    app: AppContext, parent: Member
) -> None:
    evening_in_berlin = datetime(2026, 3, 29, 21, 30, tzinfo=ZoneInfo("Europe/Berlin"))
    async with app.sessions() as session:
        session.add(
            PendingConfirmation(
                member_id=parent.id,
                channel="telegram",
                chat_id="1001",
                tool="household.unlock_door",
                summary="unlock the front door",
                created_at=evening_in_berlin,
                expires_at=evening_in_berlin + timedelta(minutes=5),
            )
        )
        await session.commit()

    async with session_factory(app.engine)() as session:
        stored = (await session.exec(select(PendingConfirmation))).one()

    assert stored.created_at == evening_in_berlin
    assert stored.created_at.tzinfo is not None
    assert stored.created_at.utcoffset() == timedelta(0)
    assert stored.expires_at - stored.created_at == timedelta(minutes=5)


async def test_naive_times_are_refused(app: AppContext) -> None:
    async with app.sessions() as session:
        session.add(AuditEntry(at=datetime(2026, 1, 5, 9, 0), action="lists.add", status="done"))
        with pytest.raises(StatementError, match="naive datetime"):
            await session.commit()


async def test_queries_compare_instants_whatever_the_timezone_given(app: AppContext) -> None:
    async with app.sessions() as session:
        for hour in (8, 10, 12):
            session.add(
                AuditEntry(
                    at=datetime(2026, 1, 5, hour, tzinfo=UTC), action="lists.add", status="done"
                )
            )
        await session.commit()
    eleven_in_berlin = datetime(2026, 1, 5, 11, 0, tzinfo=ZoneInfo("Europe/Berlin"))

    async with app.sessions() as session:
        later = await session.exec(select(AuditEntry).where(AuditEntry.at >= eleven_in_berlin))
        assert [entry.at.hour for entry in later] == [10, 12]


@pytest.mark.sqlite_only
@pytest.mark.parametrize("moment", ["before a connection opens", "while it opens"])
@pytest.mark.parametrize("loss", ["deleted", "replaced"])
async def test_a_lost_database_is_neither_made_anew_nor_replaced_by_another_file(
    tmp_path: Path, loss: str, moment: str
) -> None:
    """A new file at the path would share the old one's -shm index: CI died of SIGBUS when the
    file went between the check before a connection opened and the open itself."""
    path = tmp_path / "gepeto.db"
    engine = create_engine(f"sqlite+aiosqlite:///{path}")

    def lose_it(*_args: object) -> None:
        path.unlink()
        if loss == "replaced":
            other = tmp_path / "other.db"
            sqlite3.connect(other).execute("CREATE TABLE t (x)").connection.close()
            os.replace(other, path)

    try:
        async with engine.connect() as first:
            await first.execute(text("CREATE TABLE note (body TEXT)"))
            await first.commit()
            if moment == "while it opens":  # after the engine's own check, before the open
                event.listen(engine.sync_engine, "do_connect", lose_it)
            else:
                lose_it()
            with pytest.raises(OperationalError, match=r"no longer the database|unable to open"):
                async with engine.connect() as second:
                    await second.execute(text("SELECT 1"))
            assert (await first.execute(text("SELECT count(*) FROM note"))).scalar_one() == 0
        assert path.exists() == (loss == "replaced")
    finally:
        await engine.dispose()
