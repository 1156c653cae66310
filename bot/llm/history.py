"""Short-term memory: the last turns of a member's conversation in one chat, within a budget."""

from __future__ import annotations

import math
from typing import Any

from sqlmodel import col, select

from bot.clock import Clock
from storage.database import SessionFactory
from storage.models import ConversationMessage

MAX_MESSAGES = 12
BUDGET_CHARS = 6000  # without [llm.num_ctx]: ≈1,500 tokens, room for tools in an 8k context
CHARS_PER_TOKEN = 4
"""Token counts are estimated as characters / 4: right for English and JSON with common
tokenizers, generous for German or Portuguese (longer words, more tokens per character), so
budgets come out a little tight rather than overflowing. No tokenizer is loaded for this."""
ANSWER_RESERVE_TOKENS = 1024
"""Kept free in the model's context for its answer and the tool results of later rounds."""


def tokens(text: str) -> int:
    """The estimated token count of a text (see CHARS_PER_TOKEN)."""
    return math.ceil(len(text) / CHARS_PER_TOKEN)


def budget_chars(num_ctx: int, prompt_chars: int) -> int:
    """History characters that fit beside a prompt of `prompt_chars` in a `num_ctx` context.

    0 means Ollama's own default context, whose size we cannot know: the fixed budget applies.
    """
    if num_ctx <= 0:
        return BUDGET_CHARS
    free_tokens = num_ctx - ANSWER_RESERVE_TOKENS - math.ceil(prompt_chars / CHARS_PER_TOKEN)
    return max(0, free_tokens * CHARS_PER_TOKEN)


async def recent(
    sessions: SessionFactory, member_id: int, channel: str, chat_id: str
) -> list[dict[str, Any]]:
    """The newest MAX_MESSAGES messages of this member in this chat, oldest first."""
    async with sessions() as session:
        rows = await session.exec(
            select(ConversationMessage)
            .where(
                ConversationMessage.member_id == member_id,
                ConversationMessage.channel == channel,
                ConversationMessage.chat_id == chat_id,
            )
            .order_by(col(ConversationMessage.id).desc())
            .limit(MAX_MESSAGES)
        )
        found = [{"role": row.role, "content": row.content} for row in rows]
    found.reverse()
    return found


def within(messages: list[dict[str, Any]], budget: int) -> list[dict[str, Any]]:
    """The newest messages whose text fits `budget` characters, starting with a user's."""
    kept: list[dict[str, Any]] = []
    used = 0
    for message in reversed(messages):
        used += len(message["content"])
        if used > budget:
            break
        kept.append(message)
    kept.reverse()
    while kept and kept[0]["role"] != "user":
        kept.pop(0)
    return kept


async def record(
    sessions: SessionFactory,
    clock: Clock,
    member_id: int,
    channel: str,
    chat_id: str,
    question: str,
    answer: str,
) -> None:
    now = clock.now()
    async with sessions() as session:
        for role, content in (("user", question), ("assistant", answer)):
            session.add(
                ConversationMessage(
                    member_id=member_id,
                    channel=channel,
                    chat_id=chat_id,
                    role=role,
                    content=content[:8000],
                    at=now,
                )
            )
        await session.commit()
