"""Button presses and reactions: the answers to confirmation questions."""

from __future__ import annotations

from bot import confirmations
from bot.actions import Turn
from bot.messages import Outcome
from handlers.replies import say


async def handle(turn: Turn) -> Outcome:
    parsed = confirmations.parse_button(turn.incoming.button or "")
    if parsed is None:
        return say(turn, "confirmation", "That button doesn't do anything any more.")
    confirmation_id, yes = parsed
    reply = await confirmations.answer(turn, confirmation_id, yes)
    return say(turn, "confirmation", reply.text)
