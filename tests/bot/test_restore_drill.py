"""Issue 17 item 2, the restore drill: a household with every kind of data is backed up while 50
messages are being handled, its data dir and vault are destroyed, and the backup brings it back
— nothing lost, nothing doubled, every message either fully there or not at all.

Runs on SQLite and, with `--database=postgres`, on PostgreSQL.
"""

from __future__ import annotations

import asyncio
import sqlite3
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import MetaData, select
from sqlalchemy.ext.asyncio import AsyncEngine

from bot.actions import Turn, run_action
from bot.app import open_app
from bot.backup import BackupPlan, BackupReport, files_under, sha256_of, take_backup
from bot.clock import ManualClock
from bot.config import Config
from bot.context import AppContext
from bot.family import Member
from bot.messages import Incoming
from bot.restore import restore
from storage.database import create_engine
from storage.dumps import is_sqlite_file
from tests.support.disaster import lose_everything
from tests.support.home import CHILD_ID, PARENT_ID, FamilyChats, MakeIncoming, write_bot_toml

BURST = 50
NOT_RESTORED = ("index", "media", "gepeto.pid", "heartbeat")


@pytest.fixture
def bot_toml(tmp_path: Path) -> Path:
    """No rate limit in the way of the burst."""
    return write_bot_toml(tmp_path, "[safety]\nburst = 100\nmessages_per_minute = 600\n")


async def fill_household(app: AppContext, make_incoming: MakeIncoming) -> dict[str, Member]:
    """Members, identities, a list and a note in the vault, a fact, a reminder (a scheduled
    job), expenses, and the Matrix key store on disk."""
    ana = await app.family.add("Ana", "parent")
    await app.family.link("Ana", f"telegram:{PARENT_ID}")
    leo = await app.family.add("Leo", "child")
    await app.family.link("Leo", f"telegram:{CHILD_ID}")
    await app.family.invite("Leo")
    turn = Turn(app=app, incoming=make_incoming("(drill)", sender=PARENT_ID), member=ana)
    for tool, args in (
        ("lists.add", {"items": ["milk", "bread"]}),
        ("notes.create", {"title": "Recipes/Lasagne", "text": "Layers of pasta."}),
        ("memory.remember", {"fact": "Leo is allergic to peanuts", "household": True}),
        ("reminders.add", {"what": "call grandma", "when": "tomorrow at 5pm"}),
        ("budget.add_expense", {"amount": "42,50 €", "merchant": "pharmacy"}),
    ):
        result = await run_action(turn, tool, args)
        assert result.status == "done", (tool, result)
    matrix = app.settings.storage.data_dir / "matrix"
    matrix.mkdir()
    (matrix / "session.json").write_text('{"device_id": "GEPETO"}', encoding="utf-8")
    with sqlite3.connect(matrix / "gepeto_GEPETO.db") as keys:
        keys.execute("CREATE TABLE olm (account BLOB)")
        keys.execute("INSERT INTO olm VALUES (x'00ff')")
    keys.close()
    return {"Ana": ana, "Leo": leo}


async def every_row(engine: AsyncEngine) -> dict[str, list[dict[str, Any]]]:
    """Every table's rows, in primary-key order."""
    async with engine.connect() as connection:
        metadata = MetaData()
        await connection.run_sync(lambda sync: metadata.reflect(sync))
        tables: dict[str, list[dict[str, Any]]] = {}
        for table in metadata.sorted_tables:
            order = list(table.primary_key.columns) or list(table.columns)
            rows = await connection.execute(select(table).order_by(*order))
            tables[table.name] = [dict(row._mapping) for row in rows]
        return tables


def every_file(root: Path, skip: tuple[str, ...] = ()) -> dict[str, str]:
    """Each file's hash; an SQLite file's contents as SQL (its page layout may differ)."""
    return {
        path.relative_to(root).as_posix(): sql_of(path)
        if is_sqlite_file(path)
        else sha256_of(path)
        for path in files_under(root)
        if path.relative_to(root).parts[0] not in skip
        and not path.name.endswith(("-wal", "-shm", ".seen"))
        and path.name != "gepeto.db"  # compared row by row
    }


def sql_of(path: Path) -> str:
    connection = sqlite3.connect(path)
    try:
        return "\n".join(connection.iterdump())
    finally:
        connection.close()


def expenses(make_incoming: MakeIncoming) -> list[Incoming]:
    """BURST messages from Ana: "/spent 1 fun", "/spent 2 fun", …"""
    return [
        make_incoming(f"/spent {euros} fun", sender=PARENT_ID) for euros in range(1, BURST + 1)
    ]


async def burst(
    chats: FamilyChats, messages: list[Incoming], halfway: Callable[[], object] = lambda: None
) -> None:
    """The messages arrive at once; `halfway` is called when the first half have been handled,
    with the rest still in flight."""
    handled = 0

    async def send(incoming: Incoming) -> None:
        nonlocal handled
        await chats.router.handle_now(incoming)
        handled += 1
        if handled == len(messages) // 2:
            halfway()

    await asyncio.gather(*(send(incoming) for incoming in messages))
    await chats.outbox.deliver_due()


async def test_issue17_a_backup_taken_during_a_burst_restores_every_message_whole_or_not_at_all(
    config: Config, clock: ManualClock, make_incoming: MakeIncoming, tmp_path: Path
) -> None:
    backups = tmp_path / "backups"
    async with open_app(config, clock=clock) as app:
        await fill_household(app, make_incoming)
        chats = FamilyChats.open(app)
        taking: list[asyncio.Task[BackupReport]] = []

        def back_up_now() -> None:
            backup = take_backup(BackupPlan.of(config), clock.now(), backups)
            taking.append(asyncio.create_task(backup))

        messages = expenses(make_incoming)
        await burst(chats, messages, halfway=back_up_now)
        during = await taking[0]
        clock.advance(timedelta(seconds=1))
        after = await take_backup(BackupPlan.of(config), clock.now(), backups)
        rows = await every_row(app.engine)
        data_files = every_file(app.settings.storage.data_dir, NOT_RESTORED)
        vault_files = every_file(app.settings.vault.path)
    assert during.archive != after.archive

    # The quiet backup brings back every row and every file, exactly.
    await lose_everything(config)
    await restore(config, after.archive, clock.now(), force=False)
    engine = create_engine(config.settings.storage.resolved_database_url())
    try:
        assert await every_row(engine) == rows
    finally:
        await engine.dispose()
    assert every_file(config.settings.storage.data_dir, NOT_RESTORED) == data_files
    assert every_file(config.settings.vault.path) == vault_files

    # The one taken mid-burst holds each message whole or not at all; the messages it missed
    # come again (the chat platform re-delivers what was not acknowledged) and are handled once.
    await restore(config, during.archive, clock.now(), force=True)
    async with open_app(config, clock=clock) as app:
        assert await assert_each_message_whole(app) >= BURST // 2
        chats = FamilyChats.open(app)
        await chats.router.resume()
        await burst(chats, messages)
        assert await assert_each_message_whole(app) == BURST
        spent = await every_row(app.engine)
        amounts = sorted(row["amount_minor"] for row in spent["budget_expense"])
    assert amounts == sorted([4250, *(n * 100 for n in range(1, BURST + 1))])


async def assert_each_message_whole(app: AppContext) -> int:
    """A handled message has its reply, its journal entry and its expense; a message caught
    mid-way (as after a crash) has its expense exactly when the journal says the tool ran, so
    handling it again does not spend twice. Returns how many were handled."""
    rows = await every_row(app.engine)
    handled = {row["id"] for row in rows["inbox_event"] if row["status"] == "done"}
    replies = [row["key"] for row in rows["outbox_message"] if row["key"].startswith("inbox:")]
    assert len(replies) == len(set(replies))
    assert {int(key.split(":")[1]) for key in replies} == handled
    journal = [
        row["inbox_id"] for row in rows["action_record"] if row["tool"] == "budget.add_expense"
    ]
    assert len(journal) == len(set(journal))
    assert handled <= set(journal)
    assert len(rows["budget_expense"]) == len(journal) + 1  # the drill's first expense
    return len(handled)
