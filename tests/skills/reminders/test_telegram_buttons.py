"""Issue 12 on Telegram, through real aiogram against the fake Bot API: the pushed reminder
carries Done / Snooze buttons; Snooze 10 min brings it back ten minutes later, Done stops the
re-sends."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from sqlmodel import select

from bot.clock import ManualClock
from bot.config import Config, load_config
from bot.context import AppContext
from bot.family import Member
from storage.models import ScheduledJob
from tests.fakes.telegram_api import BotMessage, FakeTelegram
from tests.skills.reminders.conftest import minutes, occurrences, pushed, run_scheduler
from tests.support.telegram import ANA, ANA_CHAT, serving, telegram_environ

WITHIN_S = 15
REMINDER = "⏰ Reminder: take the pizza out"
SNOOZED = "⏰ Reminder (snoozed): take the pizza out"
STILL_OPEN = "⏰ Still open: take the pizza out"


@pytest.fixture
async def telegram() -> AsyncIterator[FakeTelegram]:
    async with FakeTelegram() as fake:
        yield fake


@pytest.fixture
def config(bot_toml: Path, telegram: FakeTelegram) -> Config:
    return load_config(bot_toml, environ=telegram_environ(telegram))


def labels(message: BotMessage) -> list[str]:
    return [button["text"] for row in message.buttons for button in row]


def press(telegram: FakeTelegram, message: BotMessage, label: str) -> None:
    [data] = [b["callback_data"] for row in message.buttons for b in row if b["text"] == label]
    telegram.push_callback(ANA_CHAT, ANA, message.message_id, data)


async def reminder_jobs_waiting(app: AppContext) -> list[str]:
    async with app.sessions() as session:
        statement = select(ScheduledJob.key).where(
            ScheduledJob.skill == "reminders", ScheduledJob.state == "scheduled"
        )
        return list(await session.exec(statement))


async def test_snooze_brings_the_reminder_back_and_done_stops_the_resends(
    app: AppContext, clock: ManualClock, parent: Member, telegram: FakeTelegram
) -> None:
    async with serving(app):
        telegram.push_text(ANA_CHAT, ANA, "remind me in 2 minutes to take the pizza out")
        set_ = await telegram.wait_for_message(ANA_CHAT.id, timeout=WITHIN_S)

        clock.advance(minutes(2))
        reminded = await telegram.wait_for_message(ANA_CHAT.id, timeout=WITHIN_S)
        offered = labels(reminded)
        press(telegram, reminded, "Snooze 10 min")
        await telegram.wait_for(lambda: not reminded.buttons, timeout=WITHIN_S)

        clock.advance(minutes(10))
        snoozed = await telegram.wait_for_message(ANA_CHAT.id, timeout=WITHIN_S)
        clock.advance(minutes(10))
        still_open = await telegram.wait_for_message(ANA_CHAT.id, timeout=WITHIN_S)
        press(telegram, still_open, "Done")
        await telegram.wait_for(lambda: not still_open.buttons, timeout=WITHIN_S)

        clock.advance(minutes(45))
        fired = [firing.kind for firing in await run_scheduler(app) if firing.skill == "reminders"]

    assert fired == []
    assert await reminder_jobs_waiting(app) == []
    assert offered == ["Done", "Snooze 10 min", "Snooze 1 h"]
    assert set_.text is not None
    assert "take the pizza out" in set_.text
    assert reminded.text == REMINDER + "\n\nSnoozed until 09:12: take the pizza out."
    assert snoozed.text == SNOOZED
    assert labels(snoozed) == offered
    assert still_open.text == STILL_OPEN + "\n\nDone: take the pizza out ✓"
    assert [row.state for row in await occurrences(app)] == ["acknowledged"]
    assert await pushed(app) == [REMINDER, SNOOZED, STILL_OPEN]
