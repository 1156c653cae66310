"""Chat platforms. Only modules in this package import a chat SDK."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from bot.channels.base import Channel
    from bot.context import AppContext


def chat_channels(app: AppContext) -> list[Channel]:
    """The chat channels the configuration turns on (Telegram, Matrix); empty means console."""
    channels: list[Channel] = []
    if app.config.telegram_enabled:
        from bot.channels.telegram import TelegramChannel

        channels.append(TelegramChannel.from_app(app))
    if app.config.matrix_enabled:
        from bot.channels.matrix import MatrixChannel

        channels.append(MatrixChannel(app))
    return channels
