"""/status: the GPUs, the language-model servers and their queues."""

from __future__ import annotations

from bot.actions import Turn, run_action
from bot.messages import Outcome
from bot.replies import outcome
from bot.skills import Command


async def status(turn: Turn, _argument: str) -> Outcome:
    result = await run_action(turn, "system.status", {})
    return outcome(turn, "command", result)


STATUS = Command("status", status, "GPUs, language models and queues", ("system.status",))
