"""/search: find notes in the vault by words and meaning."""

from __future__ import annotations

from bot.actions import Turn, run_action
from bot.messages import Outcome
from bot.replies import outcome, say
from bot.skills import Command


async def search(turn: Turn, argument: str) -> Outcome:
    if not argument:
        return say(turn, "command", "What should I look for? For example: /search wifi password")
    result = await run_action(turn, "knowledge.search", {"query": argument})
    return outcome(turn, "command", result)


SEARCH = Command("search", search, "/search WORDS finds notes in the vault", ("knowledge.search",))
