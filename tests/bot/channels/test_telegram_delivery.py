"""Replies as the family sees them: long texts in pieces, charts and files, flood control."""

from __future__ import annotations

import io
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from PIL import Image

from bot.channels.telegram import TelegramChannel
from bot.channels.telegram_format import TEXT_LIMIT
from bot.config import Config, load_config
from bot.context import AppContext
from bot.messages import Button, Reply
from bot.outbox import DeliveryFailed, RetryLater
from tests.fakes.telegram_api import FakeTelegram
from tests.support.telegram import ANA_CHAT, telegram_environ

ANA = str(ANA_CHAT.id)
ICS = "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nEND:VCALENDAR\r\n"


@pytest.fixture
async def telegram() -> AsyncIterator[FakeTelegram]:
    async with FakeTelegram() as fake:
        fake.add_chat(ANA_CHAT)
        yield fake


@pytest.fixture
def config(bot_toml: Path, telegram: FakeTelegram) -> Config:
    return load_config(bot_toml, environ=telegram_environ(telegram))


@pytest.fixture
async def channel(app: AppContext) -> AsyncIterator[TelegramChannel]:
    channel = TelegramChannel.from_app(app)
    yield channel
    await channel.aclose()


def chart_png() -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (32, 24), (200, 40, 40)).save(buffer, format="PNG")
    return buffer.getvalue()


@pytest.fixture
def chart(tmp_path: Path) -> Path:
    path = tmp_path / "budget.png"
    path.write_bytes(chart_png())
    return path


def long_markdown() -> str:
    rows = "\n".join(f"| {day} | groceries | {day * 3}.50 € |" for day in range(1, 300))
    return f"**Spending this year**\n\n```\n{rows}\n```\n\nThat's all."


async def test_a_long_reply_arrives_in_pieces_with_the_buttons_under_the_last(
    channel: TelegramChannel, telegram: FakeTelegram
) -> None:
    buttons = (Button(label="Yes", data="confirm:9:yes"), Button(label="No", data="confirm:9:no"))

    await channel.send(ANA, Reply(text=long_markdown(), buttons=buttons), "reminder:1")

    sent = telegram.sent_messages(ANA_CHAT.id)
    assert len(sent) >= 3
    assert all(len((m.text or "").encode("utf-16-le")) // 2 <= TEXT_LIMIT for m in sent)
    assert all(any(e["type"] == "pre" for e in m.entities) for m in sent[1:-1])
    assert sent[0].entities[0] == {
        "type": "bold",
        "offset": 0,
        "length": len("Spending this year"),
    }
    assert [m.buttons for m in sent[:-1]] == [[]] * (len(sent) - 1)
    assert [b["callback_data"] for b in sent[-1].buttons[0]] == ["confirm:9:yes", "confirm:9:no"]


async def test_a_chart_comes_with_its_caption_and_an_ics_as_a_file(
    channel: TelegramChannel, telegram: FakeTelegram, chart: Path, tmp_path: Path
) -> None:
    invite = tmp_path / "dentist.ics"
    invite.write_text(ICS)

    await channel.send(ANA, Reply(text="**Budget** for May", image_path=str(chart)), "k:1")
    await channel.send(
        ANA, Reply(text="The dentist, in your calendar", file_path=str(invite)), "k:2"
    )

    photo, document = telegram.sent_messages(ANA_CHAT.id)
    assert (photo.kind, photo.text) == ("photo", "Budget for May")
    assert photo.entities == [{"type": "bold", "offset": 0, "length": 6}]
    assert photo.file is not None
    assert photo.file.data == chart_png()
    assert (document.kind, document.text) == ("document", "The dentist, in your calendar")
    assert document.file is not None
    assert (document.file.file_name, document.file.data) == ("dentist.ics", ICS.encode())


async def test_a_picture_telegram_cannot_show_is_sent_as_a_file(
    channel: TelegramChannel, telegram: FakeTelegram, tmp_path: Path
) -> None:
    not_an_image = tmp_path / "chart.png"
    not_an_image.write_bytes(b"this is not a PNG")

    await channel.send(ANA, Reply(text="", image_path=str(not_an_image)), "k:1")

    (sent,) = telegram.sent_messages(ANA_CHAT.id)
    assert sent.kind == "document"
    assert [c.status for c in telegram.calls("sendPhoto")] == [400]


async def test_flood_control_is_retried_later_without_repeating_what_arrived(
    channel: TelegramChannel, telegram: FakeTelegram, chart: Path
) -> None:
    reply = Reply(text="A long explanation. " * 80, image_path=str(chart))
    telegram.fail_with_retry_after("sendPhoto", retry_after=11)

    with pytest.raises(RetryLater) as wait:
        await channel.send(ANA, reply, "inbox:77:0")
    await channel.send(ANA, reply, "inbox:77:0")

    assert wait.value.seconds == 11
    assert [m.kind for m in telegram.sent_messages(ANA_CHAT.id)] == ["text", "photo"]


async def test_a_chat_that_blocked_the_bot_fails_for_good(
    channel: TelegramChannel, telegram: FakeTelegram
) -> None:
    telegram.block_bot(ANA_CHAT.id)

    with pytest.raises(DeliveryFailed, match="blocked"):
        await channel.send(ANA, Reply(text="Reminder: dentist at 15:00"), "reminder:2")


async def test_a_missing_file_still_delivers_the_words(
    channel: TelegramChannel, telegram: FakeTelegram, tmp_path: Path
) -> None:
    reply = Reply(text="Here is the report. " * 80, file_path=str(tmp_path / "gone.pdf"))

    await channel.send(ANA, reply, "k:3")

    assert [m.kind for m in telegram.sent_messages(ANA_CHAT.id)] == ["text"]


async def test_issue10_item6_a_link_telegram_refuses_still_arrives_as_plain_text(
    channel: TelegramChannel, telegram: FakeTelegram, chart: Path
) -> None:
    broken = "See **the box** at [status](http:///status)"

    await channel.send(ANA, Reply(text=broken), "k:1")
    await channel.send(ANA, Reply(text=broken, image_path=str(chart)), "k:2")

    message, photo = telegram.sent_messages(ANA_CHAT.id)
    assert (message.text, message.entities) == ("See the box at status (http:///status)", [])
    assert (photo.kind, photo.text, photo.entities) == ("photo", message.text, [])
