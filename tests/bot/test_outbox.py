"""The outbox: replies are retried with backoff until a channel takes them, in order per chat."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from datetime import timedelta

import pytest
from sqlmodel import col, select

from bot.clock import ManualClock
from bot.context import AppContext
from bot.messages import Reply
from bot.outbox import MAX_ATTEMPTS, DeliveryFailed, Outbox, RetryLater
from bot.redact import Redactor
from storage.models import OutboxMessage


@dataclass
class FlakyChat:
    """A channel that fails as told, message by message, and records what it delivered."""

    failures: list[Exception] = field(default_factory=list)
    delivered: list[tuple[str, str, str]] = field(default_factory=list)

    async def send(self, chat_id: str, reply: Reply, key: str) -> None:
        if self.failures:
            raise self.failures.pop(0)
        self.delivered.append((chat_id, reply.text, key))


@pytest.fixture
def chat() -> FlakyChat:
    return FlakyChat()


@pytest.fixture
def outbox(app: AppContext, chat: FlakyChat) -> Outbox:
    outbox = Outbox(app.sessions, app.clock)
    outbox.register("telegram", chat.send)
    return outbox


async def queue(app: AppContext, key: str, text: str, chat_id: str = "1001") -> None:
    async with app.sessions() as session:
        session.add(
            OutboxMessage(
                key=key,
                channel="telegram",
                chat_id=chat_id,
                payload=Reply(text=text).model_dump(mode="json"),
                next_attempt_at=app.clock.now(),
                created_at=app.clock.now(),
            )
        )
        await session.commit()


async def stored(app: AppContext) -> list[OutboxMessage]:
    async with app.sessions() as session:
        return list(await session.exec(select(OutboxMessage).order_by(col(OutboxMessage.id))))


async def test_a_reply_is_delivered_once_with_its_idempotency_key(
    app: AppContext, outbox: Outbox, chat: FlakyChat
) -> None:
    await queue(app, "inbox:1:0", "Added milk to Shopping.")

    assert await outbox.deliver_due() == 1
    assert await outbox.deliver_due() == 0
    assert chat.delivered == [("1001", "Added milk to Shopping.", "inbox:1:0")]
    [message] = await stored(app)
    assert (message.status, message.attempts, message.sent_at) == ("sent", 1, app.clock.now())


async def test_retry_later_waits_as_long_as_the_platform_asked(
    app: AppContext, clock: ManualClock, outbox: Outbox, chat: FlakyChat
) -> None:
    await queue(app, "k1", "hello")
    chat.failures.append(RetryLater(30, "Too Many Requests: retry after 30"))

    assert await outbox.deliver_due() == 0
    clock.advance(timedelta(seconds=29))
    assert await outbox.deliver_due() == 0
    clock.advance(timedelta(seconds=1))
    assert await outbox.deliver_due() == 1

    [message] = await stored(app)
    assert message.attempts == 2
    assert message.last_error == "Too Many Requests: retry after 30"
    assert [text for _, text, _ in chat.delivered] == ["hello"]


async def test_errors_back_off_exponentially(
    app: AppContext, clock: ManualClock, outbox: Outbox, chat: FlakyChat
) -> None:
    await queue(app, "k1", "hello")
    chat.failures += [ConnectionError("network down"), ConnectionError("still down")]

    await outbox.deliver_due()
    [message] = await stored(app)
    assert message.next_attempt_at == clock.now() + timedelta(seconds=2)
    assert message.last_error == "ConnectionError: network down"

    clock.advance(timedelta(seconds=2))
    await outbox.deliver_due()
    [message] = await stored(app)
    assert message.next_attempt_at == clock.now() + timedelta(seconds=4)

    clock.advance(timedelta(seconds=3))
    assert await outbox.deliver_due() == 0
    clock.advance(timedelta(seconds=1))
    assert await outbox.deliver_due() == 1


async def test_it_gives_up_after_the_last_attempt(
    app: AppContext, clock: ManualClock, outbox: Outbox, chat: FlakyChat
) -> None:
    await queue(app, "k1", "hello")
    chat.failures += [OSError("down")] * MAX_ATTEMPTS

    for _ in range(MAX_ATTEMPTS):
        await outbox.deliver_due()
        clock.advance(timedelta(minutes=10))

    [message] = await stored(app)
    assert (message.status, message.attempts) == ("failed", MAX_ATTEMPTS)
    assert await outbox.deliver_due() == 0
    assert chat.delivered == []


async def test_a_refused_message_fails_at_once(
    app: AppContext, outbox: Outbox, chat: FlakyChat
) -> None:
    await queue(app, "k1", "hello")
    chat.failures.append(DeliveryFailed("Forbidden: bot was blocked by the user"))

    await outbox.deliver_due()

    [message] = await stored(app)
    assert (message.status, message.last_error) == (
        "failed",
        "Forbidden: bot was blocked by the user",
    )


async def test_a_waiting_reply_holds_back_later_ones_in_its_chat_only(
    app: AppContext, clock: ManualClock, outbox: Outbox, chat: FlakyChat
) -> None:
    await queue(app, "k1", "first", chat_id="kitchen")
    await queue(app, "k2", "second", chat_id="kitchen")
    await queue(app, "k3", "other chat", chat_id="garage")
    chat.failures.append(RetryLater(5))

    assert await outbox.deliver_due() == 1
    assert chat.delivered == [("garage", "other chat", "k3")]

    clock.advance(timedelta(seconds=5))
    assert await outbox.deliver_due() == 2
    assert [text for _, text, _ in chat.delivered] == ["other chat", "first", "second"]


async def test_replies_for_a_channel_without_a_sender_wait(
    app: AppContext, outbox: Outbox, chat: FlakyChat
) -> None:
    async with app.sessions() as session:
        session.add(
            OutboxMessage(
                key="m1",
                channel="matrix",
                chat_id="!room:home",
                payload=Reply(text="hi").model_dump(mode="json"),
                next_attempt_at=app.clock.now(),
                created_at=app.clock.now(),
            )
        )
        await session.commit()

    assert await outbox.deliver_due() == 0
    [message] = await stored(app)
    assert (message.status, message.attempts) == ("pending", 0)


async def test_the_delivery_loop_stops_when_cancelled_right_after_a_wake(app: AppContext) -> None:
    """Regression (issue 3 benchmark): a cancel arriving with a wake-up was swallowed on 3.11,
    so shutdown hung."""
    outbox = Outbox(app.sessions, app.clock)
    loop = asyncio.create_task(outbox.run())
    await asyncio.sleep(0)
    outbox.wake()
    loop.cancel()
    async with asyncio.timeout(5):
        with pytest.raises(asyncio.CancelledError):
            await loop


SECRET = "123456:AAE-family-bot-token-do-not-store"


@pytest.mark.parametrize(
    "error",
    [
        RetryLater(30, f"flood control for bot{SECRET}"),
        DeliveryFailed(f"https://api.telegram.org/bot{SECRET}/sendMessage: chat not found"),
        ConnectionError(f"cannot reach https://api.telegram.org/bot{SECRET}/sendMessage"),
    ],
)
async def test_issue10_item11_a_secret_echoed_in_an_error_is_not_stored(
    app: AppContext, chat: FlakyChat, error: Exception
) -> None:
    outbox = Outbox(app.sessions, app.clock, Redactor([SECRET]))
    outbox.register("telegram", chat.send)
    chat.failures = [error]
    await queue(app, "r1", "hello")

    await outbox.deliver_due()

    [message] = await stored(app)
    assert message.last_error is not None
    assert "bot***" in message.last_error
    assert SECRET not in message.last_error
    assert SECRET[:10] not in message.last_error


async def test_issue17_two_deliverers_sharing_the_database_send_each_reply_once(
    app: AppContext, chat: FlakyChat
) -> None:
    """Two processes on one PostgreSQL database (or a second bot by mistake): no double sends."""
    for number in range(20):
        await queue(app, f"reply-{number}", f"text {number}", chat_id=str(1000 + number))
    other = Outbox(app.sessions, app.clock)
    other.register("telegram", chat.send)
    mine = Outbox(app.sessions, app.clock)
    mine.register("telegram", chat.send)

    delivered = await asyncio.gather(mine.deliver_due(), other.deliver_due())

    assert sum(delivered) == 20
    assert sorted(key for _, _, key in chat.delivered) == sorted(f"reply-{n}" for n in range(20))
    assert {message.status for message in await stored(app)} == {"sent"}
    assert {message.attempts for message in await stored(app)} == {1}
