"""The week's chore chart and the month's budget chart reach a parent on Telegram as pictures:
real aiogram and `serve` against the fake Bot API, which checks every upload is an image."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from bot.config import Config, load_config
from bot.context import AppContext
from bot.family import Member
from tests.fakes.telegram_api import BotMessage, FakeTelegram, TelegramChat, TelegramUser
from tests.support.telegram import ANA, ANA_CHAT, LEO, LEO_CHAT, serving, telegram_environ

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
WITHIN_S = 15


@pytest.fixture
async def telegram() -> AsyncIterator[FakeTelegram]:
    async with FakeTelegram() as fake:
        yield fake


@pytest.fixture
def config(bot_toml: Path, telegram: FakeTelegram) -> Config:
    return load_config(bot_toml, environ=telegram_environ(telegram))


async def chat(
    telegram: FakeTelegram, where: TelegramChat, who: TelegramUser, text: str
) -> BotMessage:
    """`who` writes `text` and the bot's answer comes back."""
    telegram.push_text(where, who, text)
    return await telegram.wait_for_message(where.id, timeout=WITHIN_S)


def picture(message: BotMessage) -> bytes:
    """The bytes of the photo a message carries, as Telegram stored the upload."""
    assert message.kind == "photo"
    assert message.file is not None
    return message.file.data


async def test_a_parent_gets_the_chore_chart_and_the_budget_chart_as_png_photos(
    app: AppContext, parent: Member, child: Member, telegram: FakeTelegram
) -> None:
    async with serving(app):
        await chat(telegram, ANA_CHAT, ANA, "/chores add empty the dishwasher every day")
        await chat(telegram, ANA_CHAT, ANA, "/chores add water the plants every day")
        done = await chat(telegram, ANA_CHAT, ANA, "I emptied the dishwasher")
        await chat(telegram, ANA_CHAT, ANA, "/spent 42.50 groceries Lidl")
        await chat(telegram, LEO_CHAT, LEO, "/spent 3.50 fun comics")
        chores = await chat(telegram, ANA_CHAT, ANA, "/chores stats")
        budget = await chat(telegram, ANA_CHAT, ANA, "/budget")

    photos = [call for call in telegram.calls("sendPhoto") if call.chat_id == ANA_CHAT.id]
    assert len(photos) == 2
    assert "1 point for Ana" in str(done.text)
    assert "Ana: 1 point, 1 done" in str(chores.text)
    assert "Pocket money: Leo €3.50" in str(budget.text)
    chore_chart, budget_chart = picture(chores), picture(budget)
    assert chore_chart.startswith(PNG_SIGNATURE)
    assert budget_chart.startswith(PNG_SIGNATURE)
    assert chore_chart != budget_chart
