"""Button presses and reactions: confirmation answers here, other buttons to their skill."""

from __future__ import annotations

from bot import confirmations
from bot.actions import Turn
from bot.messages import Outcome
from bot.replies import say

GONE = "That button doesn't do anything any more."


async def handle(turn: Turn) -> Outcome:
    data = turn.incoming.button or ""
    prefix, _, rest = data.partition(":")
    if prefix == "confirm":
        parsed = confirmations.parse_button(data)
        if parsed is None:
            return say(turn, "confirmation", GONE)
        confirmation_id, yes = parsed
        reply = await confirmations.answer(turn, confirmation_id, yes)
        return say(turn, "confirmation", reply.text)
    for loaded in turn.app.skills:
        for button in loaded.skill.buttons:
            if button.prefix == prefix:
                return await button.run(turn, rest)
    return say(turn, "confirmation", GONE)
