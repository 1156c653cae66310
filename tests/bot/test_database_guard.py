"""Issue 10, item 5: the database deleted or replaced under a running bot stops it loudly."""

from __future__ import annotations

import asyncio
import os
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest
from sqlalchemy import text
from sqlalchemy.exc import OperationalError

from bot.app import serve
from bot.context import AppContext
from bot.database_guard import DatabaseGuard
from bot.family import Member
from bot.messages import Reply
from bot.router import Router
from storage.database import DatabaseLost
from tests.support.home import PARENT_ID, clean_environment, write_bot_toml

PROCESS_WAIT_S = 60.0


class ParentsPhone:
    """A Telegram stand-in recording what it sends; running, it deletes the database and errs."""

    name = "telegram"

    def __init__(self, app: AppContext) -> None:
        self.app = app
        self.sent: list[tuple[str, str]] = []

    async def run(self, router: Router) -> None:
        database(self.app).unlink()
        with pytest.raises(OperationalError):  # the error wakes the guard at once
            async with self.app.engine.connect() as connection:
                await connection.execute(text("SELECT * FROM no_such_table"))
        await asyncio.Event().wait()

    async def send(self, chat_id: str, reply: Reply, key: str) -> None:
        self.sent.append((chat_id, reply.text))


def database(app: AppContext) -> Path:
    return app.settings.storage.data_dir / "gepeto.db"


async def test_issue10_item5_a_deleted_database_is_noticed_and_the_parents_are_told(
    app: AppContext, parent: Member
) -> None:
    phone = ParentsPhone(app)
    guard = DatabaseGuard(app, [phone])
    assert await guard.check()
    assert phone.sent == []

    database(app).unlink()

    assert not await guard.check()
    [(chat, notice)] = phone.sent
    assert chat == PARENT_ID
    assert notice.startswith("I have lost the family's database (it is gone)")
    assert f"restore {database(app)} from a backup" in notice
    with pytest.raises(DatabaseLost, match="restore it from your latest backup"):
        guard.raise_if_lost()


async def test_issue10_item5_a_replaced_database_is_noticed(
    app: AppContext, parent: Member, tmp_path: Path
) -> None:
    guard = DatabaseGuard(app, [ParentsPhone(app)])
    assert await guard.check()
    other = tmp_path / "other.db"
    sqlite3.connect(other).execute("CREATE TABLE t (x)").connection.close()

    os.replace(other, database(app))

    assert not await guard.check()
    with pytest.raises(DatabaseLost, match="it was replaced by another file"):
        guard.raise_if_lost()


async def test_issue10_item5_serve_stops_on_a_database_error_after_the_file_went_away(
    app: AppContext, parent: Member
) -> None:
    phone = ParentsPhone(app)

    with pytest.raises(DatabaseLost, match=f"{database(app)} changed under the running bot"):
        async with asyncio.timeout(PROCESS_WAIT_S):  # a bound, not a wait: no timer is needed
            await serve(app, [phone])

    assert [chat for chat, _notice in phone.sent] == [PARENT_ID]


@pytest.mark.slow
def test_issue10_item5_gepeto_run_exits_when_its_database_is_deleted(tmp_path: Path) -> None:
    write_bot_toml(tmp_path)
    data = tmp_path / "data"
    stdout, stderr = tmp_path / "stdout.txt", tmp_path / "stderr.txt"
    with stdout.open("wb") as out, stderr.open("wb") as err:
        bot = subprocess.Popen(  # stdin stays open: the console keeps running until stopped
            [sys.executable, "-m", "bot", "--config", str(tmp_path / "bot.toml"), "run"],
            cwd=tmp_path,
            env=clean_environment(),
            stdin=subprocess.PIPE,
            stdout=out,
            stderr=err,
        )
        try:
            deadline = time.monotonic() + PROCESS_WAIT_S
            while not (data / "heartbeat").exists():
                assert bot.poll() is None, stderr.read_text("utf-8")
                assert time.monotonic() < deadline, "gepeto run never started"
                time.sleep(0.05)
            (data / "gepeto.db").unlink()
            bot.wait(timeout=PROCESS_WAIT_S)
        finally:
            if bot.poll() is None:
                bot.send_signal(signal.SIGKILL)
                bot.wait()
            assert bot.stdin is not None
            bot.stdin.close()

    assert bot.returncode == 1
    assert "I have lost the family's database (it is gone)" in stdout.read_text("utf-8")
    errors = stderr.read_text("utf-8")
    assert (
        errors.strip()
        .splitlines()[-1]
        .startswith(f"{data / 'gepeto.db'} changed under the running bot")
    )
    # Passes that reach the lost file before the guard's next check may log their error; from
    # the guard's verdict on, the bot stops cleanly.
    assert "Traceback" not in errors[errors.index("database lost") :]
