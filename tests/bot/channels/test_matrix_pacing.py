"""Streamed replies are paced: the newest text wins, rate limits slow the pace, close is final."""

from __future__ import annotations

import asyncio

from bot.channels.common import PacedDraft
from bot.outbox import RetryLater

WITHIN_S = 5.0


class Chat:
    """Records what was shown; each publish can be held until the test lets it through."""

    def __init__(self, busy_once: bool = False) -> None:
        self.shown: list[str] = []
        self.gate = asyncio.Event()
        self.gate.set()
        self.publishing = asyncio.Event()
        self.changed = asyncio.Condition()
        self._busy_once = busy_once

    async def publish(self, text: str) -> None:
        self.publishing.set()
        await self.gate.wait()
        if self._busy_once:
            self._busy_once = False
            raise RetryLater(0.0, "slow down")
        async with self.changed:
            self.shown.append(text)
            self.changed.notify_all()

    async def until_shown(self, text: str) -> None:
        async with asyncio.timeout(WITHIN_S), self.changed:
            await self.changed.wait_for(lambda: text in self.shown)


async def test_updates_while_sending_collapse_into_the_newest_text() -> None:
    chat = Chat()
    chat.gate.clear()
    draft = PacedDraft(chat.publish, interval=0.0)

    await draft.update("Mix")
    await asyncio.wait_for(chat.publishing.wait(), WITHIN_S)
    for text in ("Mix the", "Mix the flour", "Mix the flour and eggs"):
        await draft.update(text)
    chat.gate.set()
    await chat.until_shown("Mix the flour and eggs")
    await draft.close()

    assert chat.shown == ["Mix", "Mix the flour and eggs"]
    assert draft.shown == "Mix the flour and eggs"


async def test_a_rate_limit_is_waited_out_and_slows_the_pace() -> None:
    chat = Chat(busy_once=True)
    draft = PacedDraft(chat.publish, interval=0.001, max_interval=0.004)

    await draft.update("Mix")
    await chat.until_shown("Mix")
    await draft.close()

    assert chat.shown == ["Mix"]
    assert draft.interval == 0.002


async def test_close_waits_for_the_send_in_flight_and_then_nothing_more_is_sent() -> None:
    chat = Chat()
    chat.gate.clear()
    draft = PacedDraft(chat.publish, interval=0.0)
    await draft.update("Mix")
    await asyncio.wait_for(chat.publishing.wait(), WITHIN_S)
    await draft.update("Mix the flour")

    closing = asyncio.create_task(draft.close())
    await asyncio.sleep(0)
    assert not closing.done()
    chat.gate.set()
    await asyncio.wait_for(closing, WITHIN_S)
    await draft.update("Mix the flour and eggs")

    assert chat.shown == ["Mix"]


async def test_a_draft_closed_before_it_was_shown_shows_nothing() -> None:
    chat = Chat()
    draft = PacedDraft(chat.publish, interval=10.0)

    await draft.update("Mix")
    await draft.close()

    assert chat.shown == []
    assert draft.shown is None
