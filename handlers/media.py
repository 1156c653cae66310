"""Voice notes, audio, photos and files: each kind is named, never silently dropped."""

from __future__ import annotations

from bot.actions import Turn
from bot.messages import Outcome
from handlers import text
from handlers.replies import say

NOT_YET = {
    "voice": "I can't listen to voice notes yet — please type your message for now.",
    "audio": "I can't listen to audio files yet — please type your message for now.",
    "photo": "I can't read photos yet (receipts will come) — please type what you need.",
    "document": "I can't read files yet — please type what you need.",
}


async def handle(turn: Turn) -> Outcome:
    """Explains what cannot be handled yet; a caption is still handled as text."""
    kinds = {attachment.kind for attachment in turn.incoming.attachments}
    notes = [NOT_YET[kind] for kind in ("voice", "audio", "photo", "document") if kind in kinds]
    if turn.incoming.text.strip():
        handled = await text.handle(turn)
        return handled.model_copy(
            update={"replies": (*say(turn, "media", notes[0]).replies, *handled.replies)}
        )
    return say(turn, "media", " ".join(notes))
