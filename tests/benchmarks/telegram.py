"""Prints Gepeto's Telegram figures: throughput, and getUpdates-delivery-to-sendMessage time.

Run: `python tests/benchmarks/telegram.py [--chats 100] [--messages 1000]`. Starts the fake Bot
API server and the real `serve` loop of `gepeto run` (real aiogram, the real inbox and outbox
on SQLite), with one family member per private chat. All messages are pushed at once, spread
over the chats; each is a fast-path request ("add item7 to the room7 list") answered without
an LLM. The time of each reply is measured from the moment getUpdates handed its update to the
bot until the bot's sendMessage for it arrived. Then a few messages go one at a time, for the
same figure without a queue. Nothing here asserts: it reports.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from bot.app import open_app  # noqa: E402
from bot.config import load_config  # noqa: E402
from tests.fakes.telegram_api import (  # noqa: E402
    FakeTelegram,
    JsonObject,
    TelegramChat,
    TelegramFile,
    TelegramUser,
)
from tests.support.home import write_bot_toml  # noqa: E402
from tests.support.telegram import serving, telegram_environ  # noqa: E402

NO_RATE_LIMIT = "[safety]\nmessages_per_minute = 1000000\nburst = 100000\n"
QUIET_MESSAGES = 20


class StopwatchTelegram(FakeTelegram):
    """The fake server, noting when each update left in a getUpdates answer and each reply came."""

    def __init__(self, expected_replies: int) -> None:
        super().__init__(clock=time.perf_counter)
        self.delivered: dict[int, float] = {}
        self.replies: dict[int, list[float]] = {}
        self._expected = expected_replies
        self._count = 0
        self.all_replied = asyncio.Event()

    async def _get_updates(self, p: JsonObject, uploads: dict[str, TelegramFile]) -> Any:
        updates = await super()._get_updates(p, uploads)
        now = time.perf_counter()
        for update in updates:
            self.delivered.setdefault(update["update_id"], now)
        return updates

    async def _send_message(self, p: JsonObject, uploads: dict[str, TelegramFile]) -> Any:
        sent = await super()._send_message(p, uploads)
        self.replies.setdefault(int(p["chat_id"]), []).append(time.perf_counter())
        self._count += 1
        if self._count >= self._expected:
            self.all_replied.set()
        return sent


async def burst(
    telegram: StopwatchTelegram, members: list[TelegramUser], messages: int
) -> tuple[float, list[float]]:
    """All messages at once, round-robin over the chats: seconds in all, and each reply's wait."""
    started = time.perf_counter()
    pushed: dict[int, list[int]] = {}
    for number in range(messages):
        member = members[number % len(members)]
        chat = TelegramChat.private_with(member)
        text = f"add item{number} to the room{number % len(members)} list"
        pushed.setdefault(chat.id, []).append(telegram.push_text(chat, member, text).update_id)
    await asyncio.wait_for(telegram.all_replied.wait(), timeout=600)
    elapsed = time.perf_counter() - started
    waits = [
        (replied - telegram.delivered[update_id]) * 1000
        for chat_id, update_ids in pushed.items()
        for update_id, replied in zip(update_ids, telegram.replies[chat_id], strict=True)
    ]
    return elapsed, waits


def replied_more_than(telegram: StopwatchTelegram, chat_id: int, seen: int) -> Callable[[], bool]:
    return lambda: len(telegram.replies.get(chat_id, [])) > seen


async def one_at_a_time(
    telegram: StopwatchTelegram, member: TelegramUser, count: int
) -> list[float]:
    """Delivery-to-reply times when nothing else is going on: each waits for its answer."""
    chat = TelegramChat.private_with(member)
    waits = []
    for number in range(count):
        seen = len(telegram.replies.get(chat.id, []))
        update = telegram.push_text(chat, member, f"add quiet{number} to the room0 list")
        await telegram.wait_for(replied_more_than(telegram, chat.id, seen), timeout=60)
        waits.append((telegram.replies[chat.id][-1] - telegram.delivered[update.update_id]) * 1000)
    return waits


def percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(fraction * (len(ordered) - 1)))]


async def main(chats: int, messages: int) -> None:
    members = [TelegramUser(id=60_000 + n, first_name=f"Member{n}") for n in range(chats)]
    with tempfile.TemporaryDirectory() as folder:
        async with StopwatchTelegram(messages) as telegram:
            bot_toml = write_bot_toml(Path(folder), NO_RATE_LIMIT)
            config = load_config(bot_toml, environ=telegram_environ(telegram))
            async with open_app(config) as app:
                for member in members:
                    await app.family.add(member.first_name, "adult")
                    await app.family.link(member.first_name, f"telegram:{member.id}")
                async with serving(app, stop_within_s=600):
                    await telegram.wait_for(lambda: telegram.calls("getUpdates"), timeout=60)
                    elapsed, waits = await burst(telegram, members, messages)
                    quiet = await one_at_a_time(telegram, members[0], QUIET_MESSAGES)

    print(f"Telegram: {messages} fast-path messages from {chats} chats through the fake Bot API")
    print(f"  throughput: {messages / elapsed:.1f} messages/s ({elapsed:.2f} s in all)")
    print(
        f"  getUpdates delivery → sendMessage: p50 {statistics.median(waits):.1f} ms, "
        f"p99 {percentile(waits, 0.99):.1f} ms, max {max(waits):.1f} ms"
    )
    print(
        f"  one message at a time ({QUIET_MESSAGES}): p50 {statistics.median(quiet):.1f} ms, "
        f"max {max(quiet):.1f} ms"
    )
    print(f"  Bot API calls: {len(telegram.calls())} ({len(telegram.calls('getUpdates'))} polls)")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--chats", type=int, default=100)
    parser.add_argument("--messages", type=int, default=1000)
    arguments = parser.parse_args()
    asyncio.run(main(arguments.chats, arguments.messages))
