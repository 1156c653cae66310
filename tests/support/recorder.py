"""A plugin skill for media tests: it keeps every file a member sends and says how big it was."""

from __future__ import annotations

from bot.actions import Turn
from bot.messages import Attachment, Outcome
from bot.replies import say
from bot.skills import MediaHandler, Skill

MODULE = "tests.support.recorder"


async def keep(turn: Turn, attachments: tuple[Attachment, ...]) -> Outcome:
    kept = []
    for attachment in attachments:
        path = await turn.app.media.fetch(turn.incoming, attachment)
        kept.append(f"Kept your {attachment.kind} ({path.stat().st_size} bytes).")
    return say(turn, "media", " ".join(kept))


SKILL = Skill(
    name="recorder",
    media=(MediaHandler(kinds=("voice", "audio", "photo", "document"), run=keep),),
)
