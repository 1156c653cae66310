"""Voice notes, audio, photos and files: each goes to the skill that handles its kind.

Nothing is silently dropped: a kind no skill handles gets a sentence saying so, and a caption
is still handled as text. A file a skill could not download (too large, gone) gets its sentence.
"""

from __future__ import annotations

from bot.actions import Turn
from bot.media import MediaProblem
from bot.messages import Outcome
from bot.replies import say
from handlers import text

NOT_YET = {
    "voice": "I can't listen to voice notes yet — please type your message for now.",
    "audio": "I can't listen to audio files yet — please type your message for now.",
    "photo": "I can't read photos yet (receipts will come) — please type what you need.",
    "document": "I can't read files yet — please type what you need.",
}


async def handle(turn: Turn) -> Outcome:
    """The first skill that takes the attachments answers; otherwise explain, then the caption."""
    attachments = turn.incoming.attachments
    kinds = {attachment.kind for attachment in attachments}
    for loaded in turn.app.skills:
        for handler in loaded.skill.media:
            mine = tuple(a for a in attachments if a.kind in handler.kinds)
            if mine:
                try:
                    handled = await handler.run(turn, mine)
                except MediaProblem as problem:
                    return say(turn, "media", str(problem))
                if handled is not None:
                    return handled
    notes = [NOT_YET[kind] for kind in ("voice", "audio", "photo", "document") if kind in kinds]
    if turn.incoming.text.strip():
        handled = await text.handle(turn)
        return handled.model_copy(
            update={"replies": (*say(turn, "media", notes[0]).replies, *handled.replies)}
        )
    return say(turn, "media", " ".join(notes))
