"""The inbox: every event is stored before it is acknowledged, then handled exactly once."""

from __future__ import annotations

from sqlalchemy.exc import IntegrityError
from sqlmodel import col, select

from bot.clock import Clock
from bot.messages import Incoming, Reply
from storage.database import SessionFactory
from storage.models import InboxEvent, OutboxMessage

MAX_ATTEMPTS = 3


async def store(sessions: SessionFactory, incoming: Incoming) -> int | None:
    """Stores the event; returns its id, or None when this event was stored before."""
    row = InboxEvent(
        channel=incoming.channel,
        event_id=incoming.event_id,
        chat_id=incoming.chat_id,
        payload=incoming.model_dump(mode="json"),
        received_at=incoming.received_at,
    )
    async with sessions() as session:
        session.add(row)
        try:
            await session.commit()
        except IntegrityError:
            return None
    return row.id


async def claim(sessions: SessionFactory, inbox_id: int) -> tuple[Incoming, int] | None:
    """Marks the event as being handled; returns it and its attempt number, or None if finished.

    The row is locked while it is claimed (PostgreSQL; SQLite has one writer anyway), so two
    processes sharing a database cannot both count the same attempt.
    """
    async with sessions() as session:
        row = await session.get(InboxEvent, inbox_id, with_for_update=True)
        if row is None or row.status in ("done", "failed"):
            return None
        row.status = "processing"
        row.attempts += 1
        session.add(row)
        await session.commit()
        return Incoming.model_validate(row.payload), row.attempts


async def finish(
    sessions: SessionFactory,
    clock: Clock,
    inbox_id: int,
    incoming: Incoming,
    replies: tuple[Reply, ...],
    status: str = "done",
) -> list[int]:
    """Marks the event finished and queues its replies, in one transaction."""
    now = clock.now()
    outbox = [
        OutboxMessage(
            key=f"inbox:{inbox_id}:{index}",
            channel=incoming.channel,
            chat_id=incoming.chat_id,
            payload=reply.model_dump(mode="json"),
            next_attempt_at=now,
            created_at=now,
        )
        for index, reply in enumerate(replies)
    ]
    async with sessions() as session:
        row = await session.get(InboxEvent, inbox_id, with_for_update=True)
        if row is None:
            return []
        row.status = status
        row.finished_at = now
        session.add(row)
        session.add_all(outbox)
        await session.commit()
    return [message.id for message in outbox if message.id is not None]


async def unfinished(sessions: SessionFactory) -> list[tuple[int, tuple[str, str]]]:
    """Events stored but not finished, oldest first: what a restart must still handle."""
    async with sessions() as session:
        statement = (
            select(InboxEvent)
            .where(col(InboxEvent.status).in_(("received", "processing")))
            .order_by(col(InboxEvent.id))
        )
        return [
            (row.id, (row.channel, row.chat_id))
            for row in await session.exec(statement)
            if row.id is not None
        ]
