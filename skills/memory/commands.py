"""/remember: keep a fact, or list what is remembered."""

from __future__ import annotations

from bot.actions import Turn, run_action
from bot.messages import Outcome
from bot.replies import outcome
from bot.skills import Command


async def remember(turn: Turn, argument: str) -> Outcome:
    if not argument:
        result = await run_action(turn, "memory.list", {})
    else:
        result = await run_action(turn, "memory.remember", {"fact": argument})
    return outcome(turn, "command", result)


REMEMBER = Command(
    "remember",
    remember,
    "/remember FACT keeps it for you; /remember alone lists it",
    ("memory.list",),
)
