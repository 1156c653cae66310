"""Short-term memory: the model sees the member's last turns in this chat, within a budget."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest

from bot.app import open_app
from bot.clock import ManualClock
from bot.config import load_config
from bot.context import AppContext
from bot.llm.history import BUDGET_CHARS, MAX_MESSAGES
from tests.fakes.ollama import FakeOllama, ScriptedReply
from tests.support.home import CHILD_ID, PARENT_ID, FamilyChats, MakeIncoming
from tests.support.llm_household import MODEL, write_llm_bot_toml

GROUP = "-100200300"


@pytest.fixture
async def ollama() -> AsyncIterator[FakeOllama]:
    async with FakeOllama() as fake:
        yield fake


@pytest.fixture
async def home(
    tmp_path: Path, ollama: FakeOllama, clock: ManualClock
) -> AsyncIterator[AppContext]:
    config = load_config(write_llm_bot_toml(tmp_path, [ollama.url]), environ={})
    async with open_app(config, clock=clock) as app:
        for name, role, user in (("Ana", "parent", PARENT_ID), ("Leo", "child", CHILD_ID)):
            await app.family.add(name, role)
            await app.family.link(name, f"telegram:{user}")
        yield app


class Conversation:
    """Sends messages a minute apart (well inside the rate limit); the fake answers each."""

    def __init__(
        self, app: AppContext, ollama: FakeOllama, clock: ManualClock, make: MakeIncoming
    ) -> None:
        self._chats = FamilyChats.open(app)
        self._ollama = ollama
        self._clock = clock
        self._make = make

    async def turn(self, text: str, answer: str, **fields: Any) -> list[dict[str, Any]]:
        """Sends `text`; returns the messages of the request the model received for it."""
        self._ollama.script(MODEL, ScriptedReply(content=answer))
        self._clock.advance(timedelta(minutes=1))
        outcome = await self._chats.send(self._make(text, **fields))
        assert (outcome.route, outcome.text) == ("llm", answer)
        messages: list[dict[str, Any]] = self._ollama.chat_requests[-1].body["messages"]
        return messages


@pytest.fixture
def conversation(
    home: AppContext, ollama: FakeOllama, clock: ManualClock, make_incoming: MakeIncoming
) -> Conversation:
    return Conversation(home, ollama, clock, make_incoming)


def earlier(messages: list[dict[str, Any]]) -> list[tuple[str, str]]:
    """The history between the system prompt and the new question."""
    assert messages[0]["role"] == "system"
    assert messages[-1]["role"] == "user"
    return [(m["role"], m["content"]) for m in messages[1:-1]]


async def test_the_last_turns_come_back_in_the_next_request(conversation: Conversation) -> None:
    first = await conversation.turn("what's a good name for a goldfish?", "How about Bubbles?")
    second = await conversation.turn("and one for a second goldfish?", "Squeak, to go with it.")

    assert earlier(first) == []
    assert earlier(second) == [
        ("user", "what's a good name for a goldfish?"),
        ("assistant", "How about Bubbles?"),
    ]
    assert second[-1]["content"] == "and one for a second goldfish?"


async def test_history_belongs_to_one_member_in_one_chat(conversation: Conversation) -> None:
    await conversation.turn("what's a good name for a goldfish?", "How about Bubbles?")

    in_the_group = await conversation.turn(
        "ideas for a rainy day?", "Build a blanket fort.", chat_id=GROUP, is_group=True
    )
    leo_in_the_group = await conversation.turn(
        "what did she ask?", "I can't say.", sender=CHILD_ID, chat_id=GROUP, is_group=True
    )
    leo_alone = await conversation.turn(
        "tell me a joke", "Why did the cow cross...", sender=CHILD_ID
    )
    ana_back_home = await conversation.turn("and a second goldfish?", "Squeak!")

    assert earlier(in_the_group) == []
    assert earlier(leo_in_the_group) == []
    assert earlier(leo_alone) == []
    assert earlier(ana_back_home) == [
        ("user", "what's a good name for a goldfish?"),
        ("assistant", "How about Bubbles?"),
    ]


async def test_long_turns_are_dropped_oldest_first_to_fit_the_budget(
    conversation: Conversation,
) -> None:
    questions = [f"question {n}: " + "tell me more about dragons. " * 90 for n in range(1, 5)]
    for number, question in enumerate(questions, start=1):
        await conversation.turn(question, f"answer {number}")

    last = await conversation.turn("and now?", "That's all.")

    kept = earlier(last)
    assert kept == [
        ("user", questions[2]),
        ("assistant", "answer 3"),
        ("user", questions[3]),
        ("assistant", "answer 4"),
    ]
    assert sum(len(content) for _, content in kept) <= BUDGET_CHARS


async def test_many_short_turns_keep_only_the_most_recent_messages(
    conversation: Conversation,
) -> None:
    for number in range(1, 10):
        await conversation.turn(f"count {number}", f"{number}!")

    last = await conversation.turn("and next?", "10!")

    kept = earlier(last)
    assert len(kept) == MAX_MESSAGES
    assert kept[0] == ("user", f"count {10 - MAX_MESSAGES // 2}")
    assert kept[-1] == ("assistant", "9!")
