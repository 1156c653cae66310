"""Files on Telegram (issue 11, item 7): the inbox keeps a reference, a skill fetches the bytes.

Real aiogram against the fake Bot API, `serve` as `gepeto run` runs it, and a test skill that
keeps every file it is sent.
"""

from __future__ import annotations

import io
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
from PIL import Image
from sqlmodel import select

from bot.config import Config, load_config
from bot.context import AppContext
from bot.family import Member
from storage.models import InboxEvent
from tests.fakes.telegram_api import FakeTelegram
from tests.support.home import write_bot_toml
from tests.support.recorder import MODULE as RECORDER
from tests.support.telegram import ANA, ANA_CHAT, serving, telegram_environ

VOICE_NOTE = b"OggS\x00\x02" + bytes(range(200))
MAX_BYTES = 1000


@pytest.fixture
async def telegram() -> AsyncIterator[FakeTelegram]:
    async with FakeTelegram() as fake:
        yield fake


@pytest.fixture
def config(tmp_path: Path, telegram: FakeTelegram) -> Config:
    """The test household with the recorder skill (voice off) and a 1000-byte cap on files."""
    extra = f"[media]\nmax_bytes = {MAX_BYTES}\n[skills.voice]\nenabled = false\n"
    toml = write_bot_toml(tmp_path, extra, plugins=(RECORDER,))
    return load_config(toml, environ=telegram_environ(telegram))


async def stored_attachments(app: AppContext) -> list[dict[str, Any]]:
    """The attachments as the inbox holds them."""
    async with app.sessions() as session:
        rows = await session.exec(select(InboxEvent))
        return [attachment for row in rows for attachment in row.payload["attachments"]]


def small_photo() -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (12, 8), (200, 120, 30)).save(buffer, format="PNG")
    return buffer.getvalue()


def kept_files(app: AppContext) -> list[Path]:
    folder = app.settings.storage.data_dir / "media" / "telegram" / str(ANA_CHAT.id)
    return sorted(folder.iterdir()) if folder.is_dir() else []


async def test_a_voice_note_is_stored_as_a_reference_and_fetched_when_a_skill_asks(
    app: AppContext, parent: Member, telegram: FakeTelegram
) -> None:
    async with serving(app):
        pushed = telegram.push_voice(ANA_CHAT, ANA, VOICE_NOTE, duration=4)
        reply = await telegram.wait_for_message(ANA_CHAT.id, timeout=15)

    voice = pushed.update["message"]["voice"]
    assert await stored_attachments(app) == [
        {
            "kind": "voice",
            "file_id": voice["file_id"],
            "unique_id": voice["file_unique_id"],
            "mime_type": "audio/ogg",
            "name": None,
            "size": len(VOICE_NOTE),
            "duration_s": 4.0,
            "encryption": None,
        }
    ]
    assert reply.text == f"Kept your voice ({len(VOICE_NOTE)} bytes)."
    assert [path.read_bytes() for path in kept_files(app)] == [VOICE_NOTE]
    assert len(telegram.calls("getFile")) == 1


async def test_a_file_over_the_cap_is_refused_kindly_without_downloading(
    app: AppContext, parent: Member, telegram: FakeTelegram
) -> None:
    async with serving(app):
        telegram.push_document(ANA_CHAT, ANA, b"%PDF" + bytes(5000), file_name="school.pdf")
        reply = await telegram.wait_for_message(ANA_CHAT.id, timeout=15)

    assert reply.text == "That file is 5 KB; I can take up to 1 KB."
    assert telegram.calls("getFile") == []
    assert kept_files(app) == []


async def test_a_file_telegram_will_not_hand_over_gets_a_sentence_not_silence(
    app: AppContext, parent: Member, telegram: FakeTelegram
) -> None:
    telegram.answer_with_body(
        "getFile",
        '{"ok": false, "error_code": 400, "description": "Bad Request: file is too big"}',
        status=400,
    )
    async with serving(app):
        telegram.push_photo(ANA_CHAT, ANA, small_photo())
        reply = await telegram.wait_for_message(ANA_CHAT.id, timeout=15)

    assert reply.text == "Telegram only hands bots files up to 20 MB — please send a smaller one."
    assert kept_files(app) == []
