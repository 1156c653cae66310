"""/water and its Undo button: thin, they only turn a message into a tool call and back."""

from __future__ import annotations

from bot.actions import Turn, run_action
from bot.messages import Button, Outcome, Reply
from bot.replies import outcome, say
from bot.skills import ButtonAction, Command


async def water(turn: Turn, _argument: str) -> Outcome:
    """Records a glass and offers to take it back."""
    result = await run_action(turn, "example.drink", {})
    glass_id = result.data.get("glass_id")
    if result.status != "done" or glass_id is None:
        return outcome(turn, "command", result)
    undo = Button(label="Undo", data=f"example:undo:{glass_id}")
    reply = Reply(text=result.text, buttons=(undo,))
    return Outcome(route="command", replies=(reply,), actions=tuple(turn.reports))


async def pressed(turn: Turn, data: str) -> Outcome:
    """`data` is what follows the `example:` prefix, e.g. `undo:12`."""
    verb, _, glass = data.partition(":")
    if verb != "undo" or not glass.isdigit():
        return say(turn, "command", "That button doesn't do anything any more.")
    result = await run_action(turn, "example.undo", {"glass_id": int(glass)})
    return outcome(turn, "command", result)


WATER = Command("water", water, "record a glass of water", ("example.drink",))
BUTTONS = ButtonAction("example", pressed)
