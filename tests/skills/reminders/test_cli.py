"""The done-when of issue 12: `gepeto say --as <parent> --json "remind me in 2 minutes to take
the pizza out"` reports one reminders.add done by the fast path, and the running bot pushes it
to that member's chat two minutes later."""

from __future__ import annotations

import asyncio
import json
from datetime import UTC, datetime
from pathlib import Path

from sqlmodel import col, select

from bot.clock import ManualClock
from storage.models import OutboxMessage
from tests.skills.reminders.conftest import minutes, restarted, run_scheduler
from tests.support.cli import Gepeto


def test_say_sets_a_reminder_by_the_fast_path_and_it_is_pushed_two_minutes_later(
    gepeto: Gepeto, bot_toml: Path
) -> None:
    said_at = datetime.now(UTC)
    result = gepeto("say", "--as", "Ana", "--json", "remind me in 2 minutes to take the pizza out")
    assert result.exit_code == 0, result.stderr
    answer = json.loads(result.stdout)
    assert answer["route"] == "fast"
    assert [(a["tool"], a["status"]) for a in answer["actions"]] == [("reminders.add", "done")]
    assert "take the pizza out" in answer["reply"]

    push = asyncio.run(the_bot_runs(bot_toml, ManualClock(said_at + minutes(2 + 10 / 60))))
    assert (push.channel, push.chat_id) == ("console", "ana")
    assert push.payload["text"] == "⏰ Reminder: take the pizza out"


async def the_bot_runs(bot_toml: Path, clock: ManualClock) -> OutboxMessage:
    """The one push the running bot queues when its scheduler looks at `clock`'s time."""
    async with restarted(bot_toml, clock) as app:
        fired = await run_scheduler(app)
        assert [(f.kind, f.status) for f in fired] == [("due", "due")]
        async with app.sessions() as session:
            [push] = await session.exec(
                select(OutboxMessage).where(col(OutboxMessage.key).startswith("push:"))
            )
        return push
