"""Short-term memory: the last turns of a member's conversation in one chat, within a budget."""

from __future__ import annotations

from typing import Any

from sqlmodel import col, select

from bot.clock import Clock
from storage.database import SessionFactory
from storage.models import ConversationMessage

MAX_MESSAGES = 12
BUDGET_CHARS = 6000  # ≈1,500 tokens: leaves room for tools and facts in an 8k context


async def recent(
    sessions: SessionFactory, member_id: int, channel: str, chat_id: str
) -> list[dict[str, Any]]:
    """The newest messages that fit the budget, oldest first, as chat messages."""
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
        kept: list[dict[str, Any]] = []
        used = 0
        for row in rows:
            used += len(row.content)
            if used > BUDGET_CHARS:
                break
            kept.append({"role": row.role, "content": row.content})
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
