"""Free text: an answer to an open question, then the fast path, then the LLM."""

from __future__ import annotations

from typing import TYPE_CHECKING

from bot import confirmations
from bot.actions import Turn, run_action
from bot.messages import Outcome
from bot.replies import outcome, say

if TYPE_CHECKING:
    from bot.llm.client import LLMClient

EDITED = (
    "I saw your edit, but I had already handled the original message. "
    "Send a new message if something should change."
)
FORWARDED_WITHOUT_LLM = (
    "Thanks for forwarding that. I only act on what you write yourself — tell me what "
    "to do with it, e.g. “add milk to the shopping list”."
)
NOT_UNDERSTOOD = (
    "I didn't understand that, sorry. Try “add milk to the shopping list”, or send /help "
    "to see everything I can do."
)


async def handle(turn: Turn) -> Outcome:
    """Edits never re-run actions; forwarded text is data, so it skips the fast path."""
    if turn.incoming.edited:
        return say(turn, "ignored", EDITED)
    if turn.incoming.forwarded_from:
        turn.read_untrusted = True
        if turn.app.llm is None:
            return say(turn, "unknown", FORWARDED_WITHOUT_LLM)
        return await _ask_the_model(turn, turn.app.llm)
    text = turn.incoming.text.strip()
    answer = confirmations.parse_word(text)
    if answer is not None:
        pending = await confirmations.latest_pending(turn)
        if pending is not None and pending.id is not None:
            reply = await confirmations.answer(turn, pending.id, answer)
            return say(turn, "confirmation", reply.text)
    match = turn.app.fastpath.match(text)
    if match is not None:
        result = await run_action(turn, match.tool, match.args)
        return outcome(turn, "fast", result)
    if turn.app.llm is None:
        return say(turn, "unknown", NOT_UNDERSTOOD)
    return await _ask_the_model(turn, turn.app.llm)


async def _ask_the_model(turn: Turn, llm: LLMClient) -> Outcome:
    """The LLM turn; its code loads on the first message the fast path leaves to it."""
    from bot.llm.turn import reply_for

    replies, route = await reply_for(turn, llm)
    return Outcome(route=route, replies=tuple(replies), actions=tuple(turn.reports))
