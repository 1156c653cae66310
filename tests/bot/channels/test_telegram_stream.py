"""Streamed LLM replies on Telegram: drafts or paced edits, flood control, a complete ending."""

from __future__ import annotations

from collections.abc import AsyncIterator
from itertools import pairwise
from pathlib import Path

import pytest

from bot.channels.telegram_format import render
from bot.channels.telegram_stream import EDIT_EVERY_S
from bot.clock import SystemClock
from bot.config import Config, load_config
from bot.context import AppContext
from bot.family import Member
from tests.fakes.ollama import FakeOllama, ScriptedReply
from tests.fakes.telegram_api import FakeTelegram
from tests.support.telegram import ANA, ANA_CHAT, FAMILY, serving, telegram_environ

MODEL = "llama3.2:3b"
STORY = (
    "**Dinner ideas** for this week:\n\n"
    + "\n".join(f"- Day {day}: pasta with tomato sauce and a green salad" for day in range(1, 8))
    + "\n\nEnjoy `cooking` together!"
)


@pytest.fixture
def clock() -> SystemClock:
    """Real time: the outbox retries flood-controlled replies when retry_after has passed."""
    return SystemClock()


@pytest.fixture
async def telegram() -> AsyncIterator[FakeTelegram]:
    async with FakeTelegram() as fake:
        yield fake


@pytest.fixture
async def ollama() -> AsyncIterator[FakeOllama]:
    async with FakeOllama(tokens_per_second=30) as fake:
        fake.script(MODEL, ScriptedReply(content=STORY))
        yield fake


@pytest.fixture
def config(bot_toml: Path, telegram: FakeTelegram, ollama: FakeOllama) -> Config:
    environ = telegram_environ(telegram) | {
        "GEPETO_LLM__ENABLED": "true",
        "OLLAMA_HOST": ollama.url,
        "GEPETO_LLM__MODELS__FAST": MODEL,
        "GEPETO_LLM__MODELS__CHAT": MODEL,
    }
    return load_config(bot_toml, environ=environ)


async def test_a_streamed_reply_is_paced_survives_a_429_and_ends_complete(
    app: AppContext, parent: Member, telegram: FakeTelegram
) -> None:
    telegram.fail_with_retry_after("editMessageText", retry_after=2)
    async with serving(app):
        asked = telegram.push_text(FAMILY, ANA, "@gepeto_bot what shall we cook this week?")
        streamed = await telegram.wait_for_message(FAMILY.id, timeout=20)
        final = render(STORY)
        await telegram.wait_for(lambda: streamed.text == final.text, timeout=30)

    edits = telegram.calls("editMessageText", chat_id=FAMILY.id)
    assert [call.status for call in edits].count(429) == 1
    assert edits[-1].status == 200
    assert all(later.at - earlier.at >= EDIT_EVERY_S for earlier, later in pairwise(edits))
    assert streamed.reply_to_message_id == asked.message_id
    assert {"type": "bold", "offset": 0, "length": len("Dinner ideas")} in streamed.entities
    assert len(streamed.history) >= 2  # it grew before it was complete
    assert len(telegram.sent_messages(FAMILY.id)) == 1


async def test_private_chats_stream_a_draft_then_get_the_formatted_reply(
    app: AppContext, parent: Member, telegram: FakeTelegram
) -> None:
    async with serving(app):
        telegram.push_text(ANA_CHAT, ANA, "what shall we cook this week?")
        reply = await telegram.wait_for_message(ANA_CHAT.id, timeout=30)

    final = render(STORY)
    assert reply.text == final.text
    assert reply.entities == [entity.to_dict() for entity in final.entities]
    (draft,) = telegram.drafts(ANA_CHAT.id)
    assert not draft.live
    assert draft.history
    assert all(shown.strip() for shown in draft.history)
    assert telegram.calls("editMessageText") == []
    drafts = telegram.calls("sendMessageDraft")
    assert all(later.at >= earlier.at for earlier, later in pairwise(drafts))


async def test_without_drafts_a_private_chat_gets_an_edited_message(
    app: AppContext, parent: Member, telegram: FakeTelegram
) -> None:
    telegram.disable_method("sendMessageDraft")
    async with serving(app):
        telegram.push_text(ANA_CHAT, ANA, "what shall we cook this week?")
        streamed = await telegram.wait_for_message(ANA_CHAT.id, timeout=20)
        final = render(STORY)
        await telegram.wait_for(lambda: streamed.text == final.text, timeout=30)

    assert [call.status for call in telegram.calls("sendMessageDraft")] == [404]
    assert len(telegram.sent_messages(ANA_CHAT.id)) == 1
    edits = telegram.calls("editMessageText")
    assert all(later.at - earlier.at >= EDIT_EVERY_S for earlier, later in pairwise(edits))
