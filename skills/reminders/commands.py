"""/remind and /reminders, and the Done / Snooze buttons under a pushed reminder."""

from __future__ import annotations

from bot.actions import Turn, run_action
from bot.messages import Outcome
from bot.replies import outcome, say
from bot.skills import ButtonAction, Command

NAME_THEN = frozenset({"to", "an", "daran", "de", "que"})
"""`/remind Lena to ...`: a word before one of these names whom the reminder is for."""
REMIND_USAGE = "/remind [name] to call grandma tomorrow at 5pm"


async def remind(turn: Turn, argument: str) -> Outcome:
    """/remind [member] WHAT WHEN; the first word is a member's name when one is called so."""
    words = argument.split()
    if not words:
        return say(turn, "command", f"What and when? For example: {REMIND_USAGE}")
    args: dict[str, object] = {"what": argument.strip()}
    named = len(words) > 1 and (
        words[1].casefold() in NAME_THEN or await turn.app.family.find(words[0]) is not None
    )
    if named:
        args = {"who": words[0], "what": " ".join(words[1:])}
    result = await run_action(turn, "reminders.add", args)
    return outcome(turn, "command", result)


async def reminders(turn: Turn, argument: str) -> Outcome:
    """/reminders: the list; /reminders cancel 12 cancels one."""
    words = argument.lower().split()
    if (
        len(words) == 2
        and words[0] in ("cancel", "delete", "stop")
        and words[1].lstrip("#").isdigit()
    ):
        result = await run_action(
            turn, "reminders.cancel", {"reminder_id": int(words[1].lstrip("#"))}
        )
    else:
        result = await run_action(turn, "reminders.list", {})
    return outcome(turn, "command", result)


async def press(turn: Turn, data: str) -> Outcome:
    """`done:<occurrence>` or `snooze:<occurrence>:<minutes>`."""
    verb, _, rest = data.partition(":")
    occurrence, _, minutes = rest.partition(":")
    if not occurrence.isdigit() or verb not in ("done", "snooze"):
        return say(turn, "confirmation", "That button doesn't do anything any more.")
    if verb == "done":
        result = await run_action(turn, "reminders.done", {"occurrence_id": int(occurrence)})
    else:
        args = {"occurrence_id": int(occurrence), "minutes": int(minutes or 10)}
        result = await run_action(turn, "reminders.snooze", args)
    return outcome(turn, "confirmation", result)


REMIND = Command("remind", remind, REMIND_USAGE, ("reminders.add",))
REMINDERS = Command(
    "reminders", reminders, "your reminders; /reminders cancel 12", ("reminders.list",)
)
BUTTONS = ButtonAction("reminders", press)
