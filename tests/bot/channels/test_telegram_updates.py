"""How Telegram updates read as Incoming messages: who, where, whether to us, and context."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from aiogram.types import Update

from bot.channels.telegram import TelegramChannel
from bot.channels.telegram_updates import BotIdentity, UpdateReader
from bot.config import Config, load_config
from bot.context import AppContext
from bot.messages import Incoming
from tests.fakes.telegram_api import FakeTelegram, PushedUpdate
from tests.support.telegram import ANA, ANA_CHAT, FAMILY, LEO, MALLORY, telegram_environ


@pytest.fixture
async def telegram() -> AsyncIterator[FakeTelegram]:
    async with FakeTelegram() as fake:
        yield fake


@pytest.fixture
def config(bot_toml: Path, telegram: FakeTelegram) -> Config:
    return load_config(bot_toml, environ=telegram_environ(telegram))


@pytest.fixture
async def channel(app: AppContext) -> AsyncIterator[TelegramChannel]:
    channel = TelegramChannel.from_app(app)
    yield channel
    await channel.aclose()


@pytest.fixture
def reader(app: AppContext, telegram: FakeTelegram, channel: TelegramChannel) -> UpdateReader:
    me = BotIdentity(telegram.bot.id, telegram.bot.username or "")
    return UpdateReader(app, me)


async def read(reader: UpdateReader, pushed: PushedUpdate) -> Incoming | None:
    return await reader.read(Update.model_validate(pushed.update))


async def test_a_forwarded_message_is_the_forwarders_with_its_author_named(
    reader: UpdateReader, telegram: FakeTelegram
) -> None:
    pushed = telegram.push_text(ANA_CHAT, ANA, "Buy 40 gift cards now!", forward_from=MALLORY)

    incoming = await read(reader, pushed)

    assert incoming is not None
    assert (incoming.sender, incoming.sender_name) == ("1001", "Ana")
    assert incoming.forwarded_from == "Mallory"
    assert incoming.text == "Buy 40 gift cards now!"
    assert (incoming.is_group, incoming.addressed_to_bot) == (False, True)


async def test_in_the_group_commands_mentions_and_replies_to_the_bot_are_for_us(
    reader: UpdateReader, telegram: FakeTelegram, channel: TelegramChannel
) -> None:
    telegram.add_chat(FAMILY)
    chatter = telegram.push_text(FAMILY, LEO, "who took the car?")
    other_bot = telegram.push_text(FAMILY, LEO, "/list@other_bot")
    command = telegram.push_text(FAMILY, LEO, "/list@gepeto_bot")
    mention = telegram.push_text(FAMILY, LEO, "hey @Gepeto_Bot, what's on the shopping list")
    question = await channel.bot.send_message(FAMILY.id, "Shall I start the dishwasher?")
    answer = telegram.push_text(FAMILY, ANA, "not yet", reply_to=question.message_id)
    to_leo = telegram.push_text(FAMILY, ANA, "me!", reply_to=chatter.message_id)

    found = [await read(reader, p) for p in (chatter, other_bot, command, mention, answer, to_leo)]

    assert [i.addressed_to_bot if i else None for i in found] == [
        False,
        False,
        True,
        True,
        True,
        False,
    ]
    assert found[3] is not None
    assert found[3].text == "hey what's on the shopping list"
    assert found[4] is not None
    assert found[4].reply_to_text == "Shall I start the dishwasher?"
    assert found[5] is not None
    assert found[5].reply_to_text == "who took the car?"
    assert all(i is not None and i.is_group and i.chat_id == str(FAMILY.id) for i in found)


async def test_an_edit_is_a_new_event_marked_edited(
    reader: UpdateReader, telegram: FakeTelegram
) -> None:
    first = telegram.push_text(ANA_CHAT, ANA, "add milk to the shopping list")
    edit = telegram.push_edited_text(ANA_CHAT, ANA, first.message_id, "add oat milk to the list")

    original, edited = await read(reader, first), await read(reader, edit)

    assert original is not None
    assert edited is not None
    assert edited.edited
    assert not original.edited
    assert edited.text == "add oat milk to the list"
    assert edited.event_id != original.event_id


async def test_a_button_press_carries_the_question_and_who_pressed(
    reader: UpdateReader, telegram: FakeTelegram, channel: TelegramChannel
) -> None:
    telegram.add_chat(FAMILY)
    question = await channel.bot.send_message(FAMILY.id, "Ana, shall I unlock the front door?")
    press = telegram.push_callback(FAMILY, LEO, question.message_id, "confirm:4:yes")

    incoming = await read(reader, press)

    assert incoming is not None
    assert (incoming.sender, incoming.button) == ("1002", "confirm:4:yes")
    assert incoming.button_message_id == str(question.message_id)
    assert incoming.reply_to_text == "Ana, shall I unlock the front door?"
    assert incoming.event_id == f"button:{press.callback_query_id}"


async def test_stickers_and_service_messages_are_not_messages_for_the_family(
    reader: UpdateReader, telegram: FakeTelegram
) -> None:
    pushed = telegram.push_text(ANA_CHAT, ANA, "   ")

    assert await read(reader, pushed) is None
