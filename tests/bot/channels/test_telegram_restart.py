"""`gepeto run` killed mid-update and started again handles that update exactly once (issue 5)."""

from __future__ import annotations

import asyncio
import subprocess
import sys
from collections.abc import AsyncIterator
from pathlib import Path
from typing import IO

import pytest
from sqlmodel import select

from bot.context import AppContext
from bot.family import Member
from storage.models import InboxEvent
from tests.fakes.telegram_api import FakeTelegram
from tests.support.home import REPO, clean_environment
from tests.support.household import household_log
from tests.support.telegram import ANA, ANA_CHAT, telegram_environ

pytestmark = pytest.mark.slow

START_S = 90.0
"""Starting Python with aiogram and the skills takes seconds on a busy two-core machine."""


@pytest.fixture
async def telegram() -> AsyncIterator[FakeTelegram]:
    async with FakeTelegram() as fake:
        yield fake


async def gepeto_run(
    bot_toml: Path, telegram: FakeTelegram, log: IO[bytes]
) -> asyncio.subprocess.Process:
    """`gepeto run` in its own process, with the token and api_base of the fake server."""
    environ = clean_environment() | telegram_environ(telegram) | {"GEPETO_CONFIG": str(bot_toml)}
    return await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "bot",
        "run",
        cwd=REPO,
        env=environ,
        stdin=subprocess.DEVNULL,
        stdout=log,
        stderr=subprocess.STDOUT,
    )


async def test_a_sigkill_mid_update_then_a_restart_handles_it_exactly_once(
    app: AppContext, parent: Member, telegram: FakeTelegram, bot_toml: Path, tmp_path: Path
) -> None:
    data_dir = app.settings.storage.data_dir
    (data_dir / "pause-in-tool").touch()
    pushed = telegram.push_text(ANA_CHAT, ANA, "start the dishwasher")

    with (tmp_path / "first-run.log").open("wb") as log:
        first = await gepeto_run(bot_toml, telegram, log)
        try:
            await telegram.wait_for(
                lambda: [c for c in telegram.calls("getUpdates") if c.status == 200], START_S
            )
            # From now on no getUpdates reaches the server, so the update is never confirmed.
            telegram.fail_with_server_error("getUpdates", status=502, times=1_000_000)
            # "typing…" shows once the dishwasher tool has been working for a moment.
            await telegram.wait_for(lambda: telegram.calls("sendChatAction"), START_S)
        finally:
            first.kill()
            await first.wait()
    assert [update["update_id"] for update in telegram.pending_updates()] == [pushed.update_id]
    assert household_log(data_dir) == []

    (data_dir / "release").touch()
    telegram.clear_faults()
    with (tmp_path / "second-run.log").open("wb") as log:
        second = await gepeto_run(bot_toml, telegram, log)
        try:
            reply = await telegram.wait_for_message(ANA_CHAT.id, START_S)
            await telegram.wait_for(lambda: not telegram.pending_updates(), START_S)
        finally:
            second.terminate()
            exit_code = await second.wait()

    assert exit_code == 0, (tmp_path / "second-run.log").read_text()
    assert reply.text == "The dishwasher is running."
    assert len(telegram.sent_messages(ANA_CHAT.id)) == 1
    assert household_log(data_dir) == ["dishwasher started"]
    async with app.sessions() as session:
        rows = list(await session.exec(select(InboxEvent).where(InboxEvent.channel == "telegram")))
    assert [(row.status, row.attempts) for row in rows] == [("done", 2)]
