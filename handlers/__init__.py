"""Where each kind of incoming message goes. Start reading here."""

from __future__ import annotations

from bot.actions import Turn
from bot.messages import Outcome
from handlers import callbacks, commands, media, text


async def dispatch(turn: Turn) -> Outcome:
    """Buttons → callbacks; voice, photos, files → media; /commands → commands; else text."""
    incoming = turn.incoming
    if incoming.button is not None:
        return await callbacks.handle(turn)
    if incoming.attachments:
        return await media.handle(turn)
    if incoming.is_command:
        return await commands.handle(turn)
    return await text.handle(turn)
