"""A Telegram receipt photo end to end: draft with Save / Edit / Discard, Save records it."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from bot.config import Config, load_config
from bot.context import AppContext
from bot.family import Member
from tests.fakes.telegram_api import FakeTelegram
from tests.skills.receipts.pictures import receipt_picture
from tests.support.home import write_bot_toml
from tests.support.telegram import ANA, ANA_CHAT, serving, telegram_environ

pytestmark = pytest.mark.slow


@pytest.fixture
async def telegram() -> AsyncIterator[FakeTelegram]:
    async with FakeTelegram() as fake:
        yield fake


@pytest.fixture
def config(tmp_path: Path, telegram: FakeTelegram) -> Config:
    return load_config(write_bot_toml(tmp_path), environ=telegram_environ(telegram))


def said(telegram: FakeTelegram, words: str) -> str | None:
    """The text of the bot's message (sent or edited into) that holds `words`."""
    texts = [message.text or "" for message in telegram.sent_messages(ANA_CHAT.id)]
    return next((text for text in texts if words in text), None)


async def test_a_telegram_receipt_photo_is_drafted_and_save_records_the_expense(
    app: AppContext, parent: Member, telegram: FakeTelegram, tmp_path: Path
) -> None:
    jpeg = receipt_picture(tmp_path, name="receipt.jpg")

    async with serving(app):
        telegram.push_photo(ANA_CHAT, ANA, jpeg.read_bytes())
        draft = await telegram.wait_for_message(ANA_CHAT.id, timeout=120)
        assert draft.text is not None
        assert "Total: 9.00 EUR" in draft.text
        assert draft.reply_markup is not None
        labels = [b["text"] for row in draft.reply_markup["inline_keyboard"] for b in row]
        assert labels == ["Save", "Edit", "Discard"]
        save = draft.reply_markup["inline_keyboard"][0][0]["callback_data"]
        telegram.push_callback(ANA_CHAT, ANA, draft.message_id, save)
        recorded = await telegram.wait_for(lambda: said(telegram, "Recorded #1"), timeout=30)

    assert "Recorded #1 €9.00 for Other at Backerei Korn" in recorded
