"""The outbox: replies waiting for delivery, retried with backoff until a channel takes them."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable
from datetime import datetime, timedelta

from sqlalchemy import update
from sqlmodel import col, select

from bot import logs
from bot.clock import Clock
from bot.messages import Reply
from bot.redact import Redactor
from storage.database import SessionFactory
from storage.models import OutboxMessage

log = logging.getLogger(__name__)

MAX_ATTEMPTS = 8
MAX_BACKOFF = timedelta(minutes=10)
PARALLEL_CHATS = 16
SENDING_LEASE = timedelta(minutes=5)
"""How long a claimed message is left to its deliverer before another may try it."""

Sender = Callable[[str, Reply, str], Awaitable[None]]
"""Delivers one reply to a chat: (chat_id, reply, idempotency key)."""


class RetryLater(Exception):
    """The platform asked us to wait (flood control, server busy)."""

    def __init__(self, seconds: float, reason: str = "") -> None:
        super().__init__(reason or f"retry after {seconds:.0f} s")
        self.seconds = seconds


class DeliveryFailed(Exception):
    """The platform refused the message for good (chat gone, bot blocked)."""


class Outbox:
    """Delivers queued replies per channel; one loop, woken whenever something is queued."""

    def __init__(
        self, sessions: SessionFactory, clock: Clock, redact: Redactor | None = None
    ) -> None:
        self._sessions = sessions
        self._clock = clock
        # Errors are stored for people to read; a server may echo a token back in one.
        self._redact = redact or Redactor()
        self._senders: dict[str, Sender] = {}
        self._wake = asyncio.Event()
        self._passing = asyncio.Lock()
        self._parallel = asyncio.Semaphore(PARALLEL_CHATS)

    def register(self, channel: str, sender: Sender) -> None:
        self._senders[channel] = sender

    def wake(self) -> None:
        self._wake.set()

    async def deliver_due(self, channel: str | None = None) -> int:
        """One pass over due messages; returns how many were delivered."""
        async with self._passing:
            return await self._deliver_due(channel)

    async def _deliver_due(self, channel: str | None) -> int:
        now = self._clock.now()
        channels = [channel] if channel else list(self._senders)
        async with self._sessions() as session:
            statement = (
                select(OutboxMessage)
                .where(
                    OutboxMessage.status == "pending",
                    col(OutboxMessage.channel).in_(channels),
                    col(OutboxMessage.next_attempt_at) <= now,
                )
                .order_by(col(OutboxMessage.id))
            )
            due = list(await session.exec(statement))
        by_chat: dict[tuple[str, str], list[OutboxMessage]] = {}
        for message in due:
            by_chat.setdefault((message.channel, message.chat_id), []).append(message)
        counts = await asyncio.gather(*(self._deliver_chat(queue) for queue in by_chat.values()))
        return sum(counts)

    async def _deliver_chat(self, queue: list[OutboxMessage]) -> int:
        """One chat's messages in order, stopping at the first that must wait."""
        delivered = 0
        async with self._parallel:
            for message in queue:
                if not await self._deliver(message):
                    break
                delivered += 1
        return delivered

    async def _claim(self, message: OutboxMessage, now: datetime) -> bool:
        """Takes this attempt at the message; False when another deliverer took it first.

        One conditional UPDATE, so two deliverers sharing a database (PostgreSQL) never send
        the same attempt twice: the claim moves the attempt count and holds the message for
        `SENDING_LEASE`, and the second deliverer finds it taken and backs off. Should the
        process die mid-send, the message comes due again once the lease has passed.
        """
        async with self._sessions() as session:
            claimed = await session.exec(
                update(OutboxMessage)
                .where(
                    col(OutboxMessage.id) == message.id,
                    col(OutboxMessage.status) == "pending",
                    col(OutboxMessage.attempts) == message.attempts,
                    col(OutboxMessage.next_attempt_at) <= now,
                )
                .values(attempts=message.attempts + 1, next_attempt_at=now + SENDING_LEASE)
            )
            await session.commit()
        if claimed.rowcount != 1:
            return False
        message.attempts += 1
        return True

    async def _deliver(self, message: OutboxMessage) -> bool:
        with logs.request(logs.request_id_of_delivery(message.key)):
            return await self._deliver_one(message)

    async def _deliver_one(self, message: OutboxMessage) -> bool:
        sender = self._senders[message.channel]
        reply = Reply.model_validate(message.payload)
        now = self._clock.now()
        if not await self._claim(message, now):
            return False
        try:
            await sender(message.chat_id, reply, message.key)
        except RetryLater as wait:
            message.next_attempt_at = now + timedelta(seconds=wait.seconds)
            message.last_error = self._redact(str(wait))[:500]
        except DeliveryFailed as error:
            message.status = "failed"
            message.last_error = self._redact(str(error))[:500]
            log.warning("gave up on %s to %s: %s", message.key, message.chat_id, error)
        except Exception as error:
            message.last_error = self._redact(f"{type(error).__name__}: {error}")[:500]
            if message.attempts >= MAX_ATTEMPTS:
                message.status = "failed"
                log.error("gave up on %s after %d attempts", message.key, message.attempts)
            else:
                backoff = min(timedelta(seconds=2**message.attempts), MAX_BACKOFF)
                message.next_attempt_at = now + backoff
                log.warning("send of %s failed (%s); retrying", message.key, error)
        else:
            message.status = "sent"
            message.sent_at = now
            log.info(
                "reply delivered",
                extra={"channel": message.channel, "chat": message.chat_id, "key": message.key},
            )
        async with self._sessions() as session:
            session.add(message)
            await session.commit()
        return message.status == "sent"

    async def run(self) -> None:
        """Delivers forever; wakes when woken, or every few seconds for retries that came due."""
        while True:
            self._wake.clear()
            try:
                await self.deliver_due()
            except Exception:
                log.exception("outbox pass failed; trying again shortly")
            # asyncio.timeout, not wait_for: on 3.11 wait_for swallows a cancel that arrives
            # as the wake-up does, and this loop would then outlive its shutdown forever.
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(2.0):
                    await self._wake.wait()
