"""A Telegram voice note end to end: real aiogram, the fake Bot API, real Whisper (issue 14)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from bot.config import Config, load_config
from bot.context import AppContext
from bot.family import Member
from tests.fakes.telegram_api import FakeTelegram
from tests.skills.voice.clips import needs_speech_tools, spoken
from tests.support.telegram import ANA, ANA_CHAT, serving, telegram_environ

pytestmark = [pytest.mark.slow, needs_speech_tools]


@pytest.fixture
async def telegram() -> AsyncIterator[FakeTelegram]:
    async with FakeTelegram() as fake:
        yield fake


@pytest.fixture
def voice_settings() -> str:
    return "sure_above = 0.05\n"


@pytest.fixture
def config(bot_toml: Path, telegram: FakeTelegram) -> Config:
    return load_config(bot_toml, environ=telegram_environ(telegram))


async def test_a_telegram_voice_note_is_shown_as_heard_and_acted_on(
    app: AppContext, parent: Member, telegram: FakeTelegram, tmp_path: Path
) -> None:
    clip = spoken(tmp_path, "Add eggs and bread to the shopping list.")

    async with serving(app):
        telegram.push_voice(ANA_CHAT, ANA, clip.read_bytes(), duration=3)
        heard = await telegram.wait_for_message(ANA_CHAT.id, timeout=120)
        done = await telegram.wait_for_message(ANA_CHAT.id, timeout=30)

    assert heard.text is not None
    assert heard.text.startswith("🎙️ I heard: “Add eggs and bread to the shopping list")
    assert done.text == "Added eggs and bread to Shopping."
