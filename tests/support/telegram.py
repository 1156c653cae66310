"""The test household on Telegram: its people, and `gepeto run`'s serve loop against the fake."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator

from bot.app import serve
from bot.channels import chat_channels
from bot.channels.telegram import TelegramChannel
from bot.context import AppContext
from tests.fakes.telegram_api import FakeTelegram, TelegramChat, TelegramUser

ANA = TelegramUser(id=1001, first_name="Ana", username="ana")
"""The parent of the test household (conftest's `parent`)."""
LEO = TelegramUser(id=1002, first_name="Leo", language_code="pt")
"""The child (conftest's `child`)."""
MALLORY = TelegramUser(id=3003, first_name="Mallory", username="mallory")
"""Nobody the family knows."""
MIA = TelegramUser(id=3004, first_name="Mia")
"""A new member who pairs during a test."""
ANA_CHAT = TelegramChat.private_with(ANA)
LEO_CHAT = TelegramChat.private_with(LEO)
MALLORY_CHAT = TelegramChat.private_with(MALLORY)
MIA_CHAT = TelegramChat.private_with(MIA)
FAMILY = TelegramChat.group(-1001234567890, "Family")


def telegram_environ(fake: FakeTelegram) -> dict[str, str]:
    """What `gepeto run` needs in its environment to talk to the fake server."""
    return {
        "TELEGRAM_BOT_TOKEN": fake.token,
        "GEPETO_CHANNELS__TELEGRAM__API_BASE": fake.url,
    }


@contextlib.asynccontextmanager
async def serving(app: AppContext, stop_within_s: float = 30.0) -> AsyncIterator[TelegramChannel]:
    """Runs `serve` with the channels the configuration turns on, as `gepeto run` does.

    On leaving, the channel is stopped the way SIGTERM stops it: messages in flight finish
    and their replies are delivered before `serve` returns.
    """
    channels = chat_channels(app)
    telegram = next(c for c in channels if isinstance(c, TelegramChannel))
    running = asyncio.create_task(serve(app, channels), name="serve")
    try:
        yield telegram
    finally:
        telegram.stop()
        await asyncio.wait_for(running, stop_within_s)
