"""Real aiogram against the fake Bot API: the family's messages in, Gepeto's replies out.

Regression tests for issue 5 (the Telegram channel).
"""

from __future__ import annotations

import io
from collections.abc import AsyncIterator
from datetime import timedelta
from pathlib import Path

import pytest
from PIL import Image

from bot.app import open_app
from bot.channels import chat_channels
from bot.clock import ManualClock
from bot.config import Config, ConfigError, load_config
from bot.context import AppContext
from bot.family import Member
from handlers.strangers import PAIRING_HINT
from tests.fakes.telegram_api import FakeTelegram
from tests.support.household import household_log
from tests.support.telegram import (
    ANA,
    ANA_CHAT,
    FAMILY,
    LEO,
    MALLORY,
    MALLORY_CHAT,
    MIA,
    MIA_CHAT,
    serving,
    telegram_environ,
)


@pytest.fixture
async def telegram() -> AsyncIterator[FakeTelegram]:
    async with FakeTelegram() as fake:
        yield fake


@pytest.fixture
def config(bot_toml: Path, telegram: FakeTelegram) -> Config:
    """The test household with TELEGRAM_BOT_TOKEN set and api_base at the fake server."""
    return load_config(bot_toml, environ=telegram_environ(telegram))


def shopping_list(app: AppContext) -> str:
    path = app.settings.vault.path / "Lists" / "Shopping.md"
    return path.read_text(encoding="utf-8") if path.exists() else ""


def png() -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (12, 8), (30, 120, 200)).save(buffer, format="PNG")
    return buffer.getvalue()


async def test_a_members_text_goes_in_and_the_reply_comes_out(
    app: AppContext, parent: Member, telegram: FakeTelegram
) -> None:
    async with serving(app):
        telegram.push_text(ANA_CHAT, ANA, "add milk and eggs to the shopping list")
        reply = await telegram.wait_for_message(ANA_CHAT.id, timeout=15)

    assert reply.text == "Added milk and eggs to Shopping."
    assert reply.reply_to_message_id is None  # private chats need no quoting
    assert "- [ ] milk" in shopping_list(app)
    assert telegram.pending_updates() == []


async def test_a_stranger_gets_only_the_pairing_hint(
    app: AppContext, parent: Member, telegram: FakeTelegram
) -> None:
    async with serving(app):
        telegram.push_text(MALLORY_CHAT, MALLORY, "hello")
        telegram.push_text(MALLORY_CHAT, MALLORY, "add beer to the shopping list")
        telegram.push_text(MALLORY_CHAT, MALLORY, "/start")
        await telegram.wait_for_message(MALLORY_CHAT.id, timeout=15)
        await telegram.wait_for_message(MALLORY_CHAT.id, timeout=15)

    assert [m.text for m in telegram.sent_messages(MALLORY_CHAT.id)] == [PAIRING_HINT] * 2
    assert "beer" not in shopping_list(app)


async def test_pair_code_links_a_new_member_who_is_then_greeted_by_name(
    app: AppContext, parent: Member, telegram: FakeTelegram
) -> None:
    await app.family.add("Mia", "child")
    code, _ = await app.family.invite("Mia")
    async with serving(app):
        telegram.push_text(MIA_CHAT, MIA, f"/pair {code}")
        welcome = await telegram.wait_for_message(MIA_CHAT.id, timeout=15)
        telegram.push_text(MIA_CHAT, MIA, "/start")
        greeting = await telegram.wait_for_message(MIA_CHAT.id, timeout=15)

    assert welcome.text is not None
    assert welcome.text.startswith("Welcome, Mia!")
    assert greeting.text is not None
    assert greeting.text.startswith("Hi Mia!")
    assert await app.family.identities(await app.family.get("Mia")) == ["telegram:3004"]


async def test_in_the_group_only_messages_addressed_to_the_bot_are_answered(
    app: AppContext, parent: Member, telegram: FakeTelegram
) -> None:
    async with serving(app):
        telegram.push_text(FAMILY, ANA, "we need milk")
        telegram.push_text(FAMILY, ANA, "/list@other_bot add cola")
        asked = telegram.push_text(FAMILY, ANA, "@gepeto_bot add eggs to the shopping list")
        reply = await telegram.wait_for_message(FAMILY.id, timeout=15)
        telegram.push_text(FAMILY, ANA, "/list@gepeto_bot")
        listing = await telegram.wait_for_message(FAMILY.id, timeout=15)

    assert reply.text == "Added eggs to Shopping."
    assert reply.reply_to_message_id == asked.message_id
    assert listing.text is not None
    assert "eggs" in listing.text
    assert "milk" not in shopping_list(app)
    assert "cola" not in shopping_list(app)
    assert len(telegram.sent_messages(FAMILY.id)) == 2


async def test_a_stranger_in_the_group_cannot_act_for_the_family(
    app: AppContext, parent: Member, telegram: FakeTelegram
) -> None:
    async with serving(app):
        telegram.push_text(FAMILY, MALLORY, "@gepeto_bot add beer to the shopping list")
        telegram.push_text(FAMILY, MALLORY, "@gepeto_bot add wine to the shopping list")
        telegram.push_text(FAMILY, ANA, "@gepeto_bot add bread to the shopping list")
        first = await telegram.wait_for_message(FAMILY.id, timeout=15)
        second = await telegram.wait_for_message(FAMILY.id, timeout=15)

    assert [first.text, second.text] == [PAIRING_HINT, "Added bread to Shopping."]
    assert "beer" not in shopping_list(app)
    assert "wine" not in shopping_list(app)


async def test_only_the_requester_can_confirm_and_the_question_shows_the_outcome(
    app: AppContext, parent: Member, child: Member, telegram: FakeTelegram
) -> None:
    async with serving(app):
        telegram.push_text(FAMILY, ANA, "@gepeto_bot unlock the front door")
        question = await telegram.wait_for_message(FAMILY.id, timeout=15)
        assert [b["text"] for b in question.buttons[0]] == ["Yes", "No"]
        yes = question.buttons[0][0]["callback_data"]

        by_leo = telegram.push_callback(FAMILY, LEO, question.message_id, yes)
        refusal = await telegram.wait_for_message(FAMILY.id, timeout=15)
        by_ana = telegram.push_callback(FAMILY, ANA, question.message_id, yes)
        await telegram.wait_for(lambda: not question.buttons, timeout=15)

    assert refusal.text == "Only the person who asked can answer that question."
    assert question.text is not None
    assert question.text.startswith("Ana, shall I unlock the front door?")
    assert question.text.endswith("The front door is unlocked.")
    assert household_log(app.settings.storage.data_dir) == ["unlocked front"]
    assert telegram.callback_answer(by_leo.callback_query_id or "") is not None
    assert telegram.callback_answer(by_ana.callback_query_id or "") is not None
    assert len(telegram.sent_messages(FAMILY.id)) == 2  # the question and Leo's refusal


async def test_a_button_pressed_too_late_says_the_question_expired(
    app: AppContext, parent: Member, telegram: FakeTelegram, clock: ManualClock
) -> None:
    async with serving(app):
        telegram.push_text(ANA_CHAT, ANA, "unlock the front door")
        question = await telegram.wait_for_message(ANA_CHAT.id, timeout=15)
        yes = question.buttons[0][0]["callback_data"]
        clock.advance(timedelta(seconds=app.settings.safety.confirmation_timeout_s + 1))
        telegram.push_callback(ANA_CHAT, ANA, question.message_id, yes)
        await telegram.wait_for(lambda: not question.buttons, timeout=15)

    assert question.text is not None
    assert question.text.endswith("That question expired, so I did not unlock the front door.")
    assert household_log(app.settings.storage.data_dir) == []


async def test_typing_shows_while_a_slow_action_runs(
    app: AppContext, parent: Member, telegram: FakeTelegram
) -> None:
    data_dir = app.settings.storage.data_dir
    (data_dir / "pause-in-tool").touch()
    async with serving(app):
        telegram.push_text(ANA_CHAT, ANA, "start the dishwasher")
        typing = await telegram.wait_for(lambda: telegram.calls("sendChatAction"), timeout=15)
        (data_dir / "release").touch()
        reply = await telegram.wait_for_message(ANA_CHAT.id, timeout=15)

    assert typing[0].params["action"] == "typing"
    assert typing[0].chat_id == ANA_CHAT.id
    assert reply.text == "The dishwasher is running."


async def test_a_file_no_skill_takes_is_named_not_ignored_nor_downloaded(
    app: AppContext, parent: Member, telegram: FakeTelegram
) -> None:
    async with serving(app):
        telegram.push_document(ANA_CHAT, ANA, b"PK zip archive", file_name="holiday.zip")
        reply = await telegram.wait_for_message(ANA_CHAT.id, timeout=15)

    assert reply.text is not None
    assert "files" in reply.text
    assert telegram.calls("getFile") == []
    assert not (app.settings.storage.data_dir / "media" / "telegram").exists()


async def test_a_strangers_files_are_never_downloaded(
    app: AppContext, parent: Member, telegram: FakeTelegram
) -> None:
    async with serving(app):
        telegram.push_document(MALLORY_CHAT, MALLORY, b"x" * 1000, file_name="big.bin")
        hint = await telegram.wait_for_message(MALLORY_CHAT.id, timeout=15)

    assert hint.text == PAIRING_HINT
    assert telegram.calls("getFile") == []


async def test_the_command_menu_shows_what_each_member_may_do(
    app: AppContext, parent: Member, child: Member, telegram: FakeTelegram
) -> None:
    async with serving(app):
        telegram.push_text(ANA_CHAT, ANA, "/help")
        await telegram.wait_for_message(ANA_CHAT.id, timeout=15)

    assert [c["command"] for c in telegram.bot_commands()] == ["start", "help", "pair"]
    ana_menu = [c["command"] for c in telegram.bot_commands({"type": "chat", "chat_id": ANA.id})]
    leo_menu = [c["command"] for c in telegram.bot_commands({"type": "chat", "chat_id": LEO.id})]
    assert ana_menu == [command.name for command in app.commands]
    assert "list" in leo_menu
    assert "status" not in leo_menu  # children may not use system.status


async def test_a_bot_api_server_without_optional_methods_still_answers(
    app: AppContext, parent: Member, telegram: FakeTelegram
) -> None:
    for method in ("setMyCommands", "sendChatAction", "sendMessageDraft", "deleteWebhook"):
        telegram.disable_method(method)
    async with serving(app):
        telegram.push_text(ANA_CHAT, ANA, "what's on the shopping list")
        reply = await telegram.wait_for_message(ANA_CHAT.id, timeout=15)

    assert reply.text is not None
    assert "Shopping" in reply.text
    assert [c.status for c in telegram.calls("setMyCommands")] == [404]


async def test_a_reply_refused_by_flood_control_arrives_after_retry_after(
    app: AppContext, parent: Member, telegram: FakeTelegram, clock: ManualClock
) -> None:
    telegram.fail_with_retry_after("sendMessage", retry_after=7)
    async with serving(app):
        telegram.push_text(ANA_CHAT, ANA, "add tea to the shopping list")
        await telegram.wait_for(lambda: telegram.calls("sendMessage"), timeout=15)
        clock.advance(timedelta(seconds=7))
        reply = await telegram.wait_for_message(ANA_CHAT.id, timeout=15)

    assert reply.text == "Added tea to Shopping."
    assert [c.status for c in telegram.calls("sendMessage")] == [429, 200]


async def test_gepeto_run_without_a_usable_token_says_so(bot_toml: Path) -> None:
    config = load_config(bot_toml, environ={"TELEGRAM_BOT_TOKEN": "not-a-token"})
    async with open_app(config) as app:
        with pytest.raises(ConfigError, match="TELEGRAM_BOT_TOKEN"):
            chat_channels(app)


async def test_a_server_that_cannot_edit_gets_the_outcome_as_a_new_message(
    app: AppContext, parent: Member, telegram: FakeTelegram
) -> None:
    telegram.disable_method("editMessageText")
    async with serving(app):
        telegram.push_text(ANA_CHAT, ANA, "unlock the back door")
        question = await telegram.wait_for_message(ANA_CHAT.id, timeout=15)
        no = question.buttons[0][1]["callback_data"]
        telegram.push_callback(ANA_CHAT, ANA, question.message_id, no)
        outcome = await telegram.wait_for_message(ANA_CHAT.id, timeout=15)

    assert outcome.text is not None
    assert outcome.text.endswith("Okay, I won't unlock the back door.")
    assert household_log(app.settings.storage.data_dir) == []
