"""Real aiogram against the fake Telegram Bot API: the fake must answer as the real server does."""

from __future__ import annotations

import asyncio
import io
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from typing import TypeVar

import aiohttp
import pytest
from aiogram import Bot, Dispatcher, F, Router, html
from aiogram.client.default import DefaultBotProperties
from aiogram.client.session.aiohttp import AiohttpSession
from aiogram.client.telegram import TelegramAPIServer
from aiogram.exceptions import (
    TelegramBadRequest,
    TelegramConflictError,
    TelegramForbiddenError,
    TelegramNetworkError,
    TelegramNotFound,
    TelegramRetryAfter,
    TelegramServerError,
)
from aiogram.filters import Command, CommandObject
from aiogram.types import (
    BotCommand,
    BufferedInputFile,
    CallbackQuery,
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    Message,
    ReplyParameters,
)
from PIL import Image

from tests.fakes.telegram_api import FakeTelegram, TelegramChat, TelegramUser

T = TypeVar("T")

ANNA = TelegramUser(id=5001, first_name="Anna", username="anna")
LEO = TelegramUser(id=5002, first_name="Leo", language_code="pt")
ANNA_CHAT = TelegramChat.private_with(ANNA)
FAMILY = TelegramChat.group(-1001234567890, "Family")


def png(width: int, height: int) -> bytes:
    """A real PNG, as a phone would send a photo."""
    buffer = io.BytesIO()
    Image.new("RGB", (width, height), (200, 180, 40)).save(buffer, format="PNG")
    return buffer.getvalue()


def bot_for(fake: FakeTelegram) -> Bot:
    """A real aiogram bot pointed at the fake server."""
    session = AiohttpSession(api=TelegramAPIServer.from_base(fake.url))
    return Bot(fake.token, session=session, default=DefaultBotProperties(parse_mode="HTML"))


@pytest.fixture
async def telegram() -> AsyncIterator[FakeTelegram]:
    async with FakeTelegram() as fake:
        yield fake


@pytest.fixture
async def bot(telegram: FakeTelegram) -> AsyncIterator[Bot]:
    async with bot_for(telegram) as real_bot:
        yield real_bot


@asynccontextmanager
async def polling(fake: FakeTelegram, router: Router) -> AsyncIterator[Bot]:
    """Run a real aiogram dispatcher (one update at a time, in order) for the block."""
    dispatcher = Dispatcher()
    dispatcher.include_router(router)
    real_bot = bot_for(fake)
    polls_before = len(fake.calls("getUpdates"))
    task = asyncio.create_task(
        dispatcher.start_polling(
            real_bot, polling_timeout=1, handle_as_tasks=False, handle_signals=False
        )
    )
    try:
        await fake.wait_for(lambda: task.done() or len(fake.calls("getUpdates")) > polls_before)
        yield real_bot
    finally:
        if not task.done():
            await dispatcher.stop_polling()
        await task


async def send_with_retry(
    send: Callable[[], Awaitable[T]], pause: Callable[[float], Awaitable[None]], attempts: int = 3
) -> T:
    """Retry a Bot API call after the server's retry_after, as the outbox will."""
    for _ in range(attempts - 1):
        try:
            return await send()
        except TelegramRetryAfter as error:
            await pause(error.retry_after)
    return await send()


async def test_text_in_echo_out(telegram: FakeTelegram) -> None:
    router = Router()

    @router.message(F.text)
    async def echo(message: Message) -> None:
        await message.reply(f"<b>Echo:</b> {html.quote(message.text or '')}")

    async with polling(telegram, router):
        pushed = telegram.push_text(ANNA_CHAT, ANNA, "milk & <eggs> 🥚 please")
        reply = await telegram.wait_for_message(ANNA_CHAT.id)

    assert reply.text == "Echo: milk & <eggs> 🥚 please"
    assert reply.entities == [{"type": "bold", "offset": 0, "length": 5}]
    assert reply.parse_mode == "HTML"
    assert reply.reply_to_message_id == pushed.message_id
    assert len(telegram.sent_messages(ANNA_CHAT.id)) == 1


async def test_group_command_is_answered_only_when_addressed_to_this_bot(
    telegram: FakeTelegram,
) -> None:
    router = Router()

    @router.message(Command("list"))
    async def show_list(message: Message, command: CommandObject) -> None:
        await message.answer(f"List {command.args} for {message.chat.title}")

    async with polling(telegram, router):
        telegram.push_text(FAMILY, LEO, "/list@other_bot chores")
        pushed = telegram.push_text(FAMILY, ANNA, "/list@gepeto_bot groceries")
        reply = await telegram.wait_for_message(FAMILY.id)

    command_entity = {"type": "bot_command", "offset": 0, "length": 16}
    assert pushed.update["message"]["entities"] == [command_entity]
    assert pushed.update["message"]["chat"]["type"] == "supergroup"
    assert reply.text == "List groceries for Family"
    assert [m.text for m in telegram.sent_messages(FAMILY.id)] == [reply.text]


async def test_button_press_is_answered_and_the_message_edited(telegram: FakeTelegram) -> None:
    router = Router()
    keyboard = InlineKeyboardMarkup(
        inline_keyboard=[[InlineKeyboardButton(text="Done ✅", callback_data="chore:done:7")]]
    )

    @router.message(Command("chores"))
    async def list_chores(message: Message) -> None:
        await message.answer("Dishes (Leo)", reply_markup=keyboard)

    @router.callback_query(F.data.startswith("chore:done:"))
    async def chore_done(query: CallbackQuery) -> None:
        await query.answer("Marked as done")
        if isinstance(query.message, Message):
            await query.message.edit_text("Dishes (Leo) — <i>done</i>")

    async with polling(telegram, router):
        telegram.push_text(ANNA_CHAT, ANNA, "/chores")
        chores = await telegram.wait_for_message(ANNA_CHAT.id)
        assert chores.buttons == [[{"text": "Done ✅", "callback_data": "chore:done:7"}]]
        press = telegram.push_callback(ANNA_CHAT, ANNA, chores.message_id, "chore:done:7")
        query_id = press.callback_query_id or ""
        answer = await telegram.wait_for(lambda: telegram.callback_answer(query_id))
        await telegram.wait_for(lambda: chores.edit_date is not None)

    assert answer["text"] == "Marked as done"
    assert chores.text == "Dishes (Leo) — done"
    assert chores.entities == [{"type": "italic", "offset": 15, "length": 4}]
    assert chores.buttons == []
    assert chores.history == ["Dishes (Leo)", "Dishes (Leo) — done"]


async def test_photo_is_downloaded_and_files_are_uploaded(telegram: FakeTelegram) -> None:
    router = Router()
    receipt = png(40, 30)
    downloaded: list[bytes] = []

    @router.message(F.photo)
    async def on_photo(message: Message, bot: Bot) -> None:
        photo = (message.photo or [])[-1]
        buffer = await bot.download(photo)
        assert buffer is not None
        downloaded.append(buffer.read())
        await message.answer_photo(
            BufferedInputFile(png(8, 6), "chart.png"), caption=f"<b>{photo.width}</b> px wide"
        )
        await message.answer_document(BufferedInputFile(b"date;amount\n", "budget.csv"))

    async with polling(telegram, router):
        telegram.push_photo(ANNA_CHAT, ANNA, receipt, caption="/spent lunch")
        chart = await telegram.wait_for_message(ANNA_CHAT.id)
        sheet = await telegram.wait_for_message(ANNA_CHAT.id)

    assert downloaded == [receipt]
    assert chart.kind == "photo"
    assert chart.file is not None
    assert chart.file.data == png(8, 6)
    assert (chart.text, chart.entities) == (
        "40 px wide",
        [{"type": "bold", "offset": 0, "length": 2}],
    )
    assert sheet.kind == "document"
    assert sheet.file is not None
    assert (sheet.file.data, sheet.file.file_name) == (b"date;amount\n", "budget.csv")


async def test_every_pushed_kind_parses_as_aiogram_updates(
    telegram: FakeTelegram, bot: Bot
) -> None:
    first = telegram.push_text(FAMILY, ANNA, "Who took the car?")
    telegram.push_text(FAMILY, LEO, "me", reply_to=first.message_id, forward_from=ANNA)
    telegram.push_voice(ANNA_CHAT, ANNA, b"OggS voice", duration=4)
    telegram.push_audio(ANNA_CHAT, ANNA, b"ID3 song", file_name="song.mp3")
    telegram.push_document(ANNA_CHAT, ANNA, b"%PDF-1.7", file_name="school.pdf")
    telegram.push_edited_text(FAMILY, ANNA, first.message_id, "Who took the blue car?")

    updates = await bot.get_updates(timeout=0)

    assert [u.event_type for u in updates] == ["message"] * 5 + ["edited_message"]
    reply = updates[1].message
    assert reply is not None
    assert reply.reply_to_message is not None
    assert reply.reply_to_message.text == "Who took the car?"
    assert reply.forward_origin is not None
    assert reply.forward_origin.type == "user"
    voice = updates[2].message.voice if updates[2].message else None
    assert voice is not None
    assert voice.duration == 4
    voice_bytes = await bot.download(voice)
    assert voice_bytes is not None
    assert voice_bytes.read() == b"OggS voice"
    document = updates[4].message.document if updates[4].message else None
    assert document is not None
    assert (document.file_name, document.mime_type) == ("school.pdf", "application/pdf")
    edited = updates[5].edited_message
    assert edited is not None
    assert (edited.text, edited.edit_date is not None) == ("Who took the blue car?", True)


async def test_retry_after_is_reported_and_retried(telegram: FakeTelegram, bot: Bot) -> None:
    telegram.add_chat(ANNA_CHAT)
    telegram.add_chat(FAMILY)
    telegram.fail_with_retry_after("sendMessage", retry_after=7)
    with pytest.raises(TelegramRetryAfter) as refused:
        await bot.send_message(ANNA_CHAT.id, "Reminder: dentist at 15:00")
    assert refused.value.retry_after == 7
    assert "Too Many Requests: retry after 7" in refused.value.message

    pauses: list[float] = []

    async def pause(seconds: float) -> None:
        pauses.append(seconds)

    telegram.fail_with_retry_after("sendMessage", retry_after=3, times=2, chat_id=FAMILY.id)
    await bot.send_message(ANNA_CHAT.id, "Anna is never throttled here")
    sent = await send_with_retry(lambda: bot.send_message(FAMILY.id, "Dinner at 7"), pause)

    assert pauses == [3, 3]
    assert sent.text == "Dinner at 7"
    family_statuses = [call.status for call in telegram.calls("sendMessage", chat_id=FAMILY.id)]
    assert family_statuses == [429, 429, 200]
    assert [m.text for m in telegram.sent_messages(FAMILY.id)] == ["Dinner at 7"]


async def test_confirmed_updates_are_not_delivered_after_a_restart(
    telegram: FakeTelegram,
) -> None:
    seen: list[str] = []

    def family_router() -> Router:
        router = Router()

        @router.message(F.text)
        async def note(message: Message) -> None:
            seen.append(message.text or "")
            await message.answer(f"Noted: {message.text}")

        return router

    async with polling(telegram, family_router()):
        telegram.push_text(ANNA_CHAT, ANNA, "buy bread")
        await telegram.wait_for_message(ANNA_CHAT.id)
        await telegram.wait_for(lambda: not telegram.pending_updates())

    async with polling(telegram, family_router()):
        telegram.push_text(ANNA_CHAT, ANNA, "buy jam")
        await telegram.wait_for_message(ANNA_CHAT.id)

    assert seen == ["buy bread", "buy jam"]


async def test_get_updates_long_polls_and_confirms_by_offset(
    telegram: FakeTelegram, bot: Bot
) -> None:
    waiting = asyncio.create_task(bot.get_updates(timeout=5))
    await telegram.wait_for(lambda: [c for c in telegram.calls("getUpdates") if c.status is None])
    telegram.push_text(ANNA_CHAT, ANNA, "are you there?")
    arrived = await asyncio.wait_for(waiting, timeout=4)
    assert [u.message.text for u in arrived if u.message] == ["are you there?"]

    telegram.push_text(ANNA_CHAT, ANNA, "second")
    again = await bot.get_updates(timeout=0)
    assert [u.update_id for u in again] == [arrived[0].update_id, arrived[0].update_id + 1]

    confirmed = await bot.get_updates(offset=again[-1].update_id + 1, timeout=0)
    assert confirmed == []
    assert telegram.pending_updates() == []


async def test_a_second_poller_ends_the_first_with_a_conflict(
    telegram: FakeTelegram, bot: Bot
) -> None:
    first = asyncio.create_task(bot.get_updates(timeout=5))
    await telegram.wait_for(lambda: [c for c in telegram.calls("getUpdates") if c.status is None])
    second = asyncio.create_task(bot.get_updates(timeout=5))
    with pytest.raises(TelegramConflictError, match="terminated by other getUpdates request"):
        await first
    telegram.push_text(ANNA_CHAT, ANNA, "hello")
    assert len(await second) == 1


async def test_a_disabled_method_answers_like_an_older_bot_api(
    telegram: FakeTelegram, bot: Bot
) -> None:
    telegram.add_chat(ANNA_CHAT)
    telegram.add_chat(FAMILY)
    assert await bot.send_message_draft(chat_id=ANNA_CHAT.id, draft_id=1, text="Think")
    assert await bot.send_message_draft(
        chat_id=ANNA_CHAT.id, draft_id=1, text="Thinking <b>hard</b>"
    )
    with pytest.raises(TelegramBadRequest, match="TEXTDRAFT_PEER_INVALID"):
        await bot.send_message_draft(chat_id=FAMILY.id, draft_id=1, text="no drafts in groups")
    (draft,) = telegram.drafts(ANNA_CHAT.id)
    assert (draft.history, draft.entities) == (
        ["Think", "Thinking hard"],
        [{"type": "bold", "offset": 9, "length": 4}],
    )
    await bot.send_message(ANNA_CHAT.id, "The answer is 42")
    assert not draft.live

    telegram.disable_method("sendMessageDraft")
    with pytest.raises(TelegramNotFound) as missing:
        await bot.send_message_draft(chat_id=ANNA_CHAT.id, draft_id=2, text="streaming")
    assert missing.value.message == "Not Found: method not found"
    assert telegram.calls("sendMessageDraft")[-1].status == 404


async def test_server_errors_network_drops_and_blocked_chats(
    telegram: FakeTelegram, bot: Bot
) -> None:
    telegram.add_chat(ANNA_CHAT)
    telegram.fail_with_server_error("sendMessage", status=502)
    with pytest.raises(TelegramServerError, match="Bad Gateway"):
        await bot.send_message(ANNA_CHAT.id, "one")
    telegram.drop_connection("sendMessage")
    with pytest.raises(TelegramNetworkError):
        await bot.send_message(ANNA_CHAT.id, "two")
    assert (await bot.send_message(ANNA_CHAT.id, "three")).text == "three"
    telegram.block_bot(ANNA_CHAT.id)
    with pytest.raises(TelegramForbiddenError, match="bot was blocked by the user"):
        await bot.send_message(ANNA_CHAT.id, "four")
    assert [c.status for c in telegram.calls("sendMessage")] == [502, 0, 200, 403]
    assert [m.text for m in telegram.sent_messages(ANNA_CHAT.id)] == ["three"]


async def test_every_edit_is_recorded_per_chat_on_the_injected_clock() -> None:
    ticks = iter([100.0, 100.4, 101.9, 102.0, 103.6])
    async with FakeTelegram(clock=lambda: next(ticks)) as fake, bot_for(fake) as real_bot:
        fake.add_chat(FAMILY)
        sent = await real_bot.send_message(FAMILY.id, "The")
        await real_bot.edit_message_text(
            "The answer", chat_id=FAMILY.id, message_id=sent.message_id
        )
        with pytest.raises(TelegramBadRequest, match="message is not modified"):
            await real_bot.edit_message_text(
                "The answer", chat_id=FAMILY.id, message_id=sent.message_id
            )
        await real_bot.edit_message_text(
            "The answer is <b>42</b>", chat_id=FAMILY.id, message_id=sent.message_id
        )
        with pytest.raises(TelegramBadRequest, match="message to edit not found"):
            await real_bot.edit_message_text("lost", chat_id=FAMILY.id, message_id=999)

        edits = fake.calls("editMessageText", chat_id=FAMILY.id)
        assert [(call.at, call.status) for call in edits] == [
            (100.4, 200),
            (101.9, 400),
            (102.0, 200),
            (103.6, 400),
        ]
        (message,) = fake.sent_messages(FAMILY.id)
        assert message.history == ["The", "The answer", "The answer is 42"]


async def test_invalid_html_and_bad_replies_are_refused(telegram: FakeTelegram, bot: Bot) -> None:
    telegram.add_chat(ANNA_CHAT)
    with pytest.raises(TelegramBadRequest, match='Unsupported start tag "br"'):
        await bot.send_message(ANNA_CHAT.id, "line<br>break")
    with pytest.raises(TelegramBadRequest, match='end tag corresponding to start tag "b"'):
        await bot.send_message(ANNA_CHAT.id, "<b>unclosed")
    with pytest.raises(TelegramBadRequest, match="message to be replied not found"):
        await bot.send_message(ANNA_CHAT.id, "hi", reply_parameters=ReplyParameters(message_id=77))
    with pytest.raises(TelegramBadRequest, match="message is too long"):
        await bot.send_message(ANNA_CHAT.id, "x" * 4097)
    with pytest.raises(TelegramBadRequest, match="chat not found"):
        await bot.send_message(4242, "who?")
    code = await bot.send_message(ANNA_CHAT.id, '<pre><code class="language-bash">ls</code></pre>')
    assert code.entities is not None
    assert [(e.type, e.language) for e in code.entities] == [("pre", "bash")]


async def test_command_menu_webhook_and_chat_actions(telegram: FakeTelegram, bot: Bot) -> None:
    telegram.add_chat(ANNA_CHAT)
    menu = [BotCommand(command="note", description="Write a note")]
    assert await bot.set_my_commands(menu)
    assert telegram.bot_commands() == [{"command": "note", "description": "Write a note"}]
    assert [c.command for c in await bot.get_my_commands()] == ["note"]
    assert await bot.delete_my_commands()
    assert telegram.bot_commands() == []
    assert await bot.send_chat_action(ANNA_CHAT.id, "typing")
    with pytest.raises(TelegramBadRequest, match="wrong parameter action"):
        await bot.send_chat_action(ANNA_CHAT.id, "dancing")

    assert await bot.set_webhook("https://gepeto.example/hook")
    assert telegram.webhook_url == "https://gepeto.example/hook"
    with pytest.raises(TelegramConflictError, match="webhook is active"):
        await bot.get_updates(timeout=0)
    telegram.push_text(ANNA_CHAT, ANNA, "dropped with the webhook")
    assert await bot.delete_webhook(drop_pending_updates=True)
    assert await bot.get_updates(timeout=0) == []


async def test_unknown_methods_and_wrong_tokens_answer_like_the_real_server(
    telegram: FakeTelegram,
) -> None:
    async with aiohttp.ClientSession() as http:
        url = f"{telegram.url}/bot{telegram.token}/sendTelepathy"
        async with http.post(url, json={"chat_id": ANNA.id}) as answer:
            assert (answer.status, await answer.json()) == (
                404,
                {"ok": False, "error_code": 404, "description": "Not Found: method not found"},
            )
        async with http.get(f"{telegram.url}/bot1:wrong/getMe") as answer:
            assert answer.status == 401
        async with http.get(f"{telegram.url}/bot{telegram.token}/getme") as answer:
            me = await answer.json()
    assert me["result"]["username"] == "gepeto_bot"
    assert [c.method for c in telegram.calls()] == ["sendTelepathy", "getme"]


async def test_two_servers_keep_their_own_chats() -> None:
    async with FakeTelegram() as home, FakeTelegram() as cottage:
        home.push_text(ANNA_CHAT, ANNA, "at home")
        assert [u["message"]["text"] for u in home.pending_updates()] == ["at home"]
        assert cottage.pending_updates() == []
        assert home.url != cottage.url
