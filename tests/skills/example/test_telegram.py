"""The example skill on Telegram (issue 11 item 11): /water and its button through real aiogram
against the fake Bot API, and the 9 o'clock reminder pushed by the running bot's scheduler."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from bot.clock import ManualClock
from bot.config import Config, load_config
from bot.context import AppContext
from bot.family import Member
from tests.fakes.telegram_api import FakeTelegram
from tests.skills.example.household import NINE_AM
from tests.support.example_skill.reminders import REMINDER
from tests.support.telegram import ANA, ANA_CHAT, serving, telegram_environ

WITHIN_S = 15


@pytest.fixture
async def telegram() -> AsyncIterator[FakeTelegram]:
    async with FakeTelegram() as fake:
        yield fake


@pytest.fixture
def config(bot_toml: Path, telegram: FakeTelegram) -> Config:
    return load_config(bot_toml, environ=telegram_environ(telegram))


async def test_water_on_telegram_then_the_reminder_reaches_anas_chat_at_nine(
    app: AppContext, clock: ManualClock, parent: Member, telegram: FakeTelegram
) -> None:
    async with serving(app):
        telegram.push_text(ANA_CHAT, ANA, "/water")
        noted = await telegram.wait_for_message(ANA_CHAT.id, timeout=WITHIN_S)
        assert noted.text == "Noted, Ana: 1 glass of water today. 💧"
        [[undo]] = noted.buttons
        telegram.push_callback(ANA_CHAT, ANA, noted.message_id, undo["callback_data"])
        await telegram.wait_for(lambda: not noted.buttons, timeout=WITHIN_S)
        telegram.push_text(ANA_CHAT, ANA, "/water")
        await telegram.wait_for_message(ANA_CHAT.id, timeout=WITHIN_S)

        clock.advance(NINE_AM - clock.now())
        reminded = await telegram.wait_for_message(ANA_CHAT.id, timeout=WITHIN_S)

    assert undo["text"] == "Undo"
    assert noted.text is not None
    assert noted.text.endswith("Taken back: 0 glasses of water today.")
    assert reminded.text == REMINDER
    assert [m.text for m in telegram.sent_messages(ANA_CHAT.id)].count(REMINDER) == 1
