"""/agenda: what is on the family calendar, without the LLM."""

from __future__ import annotations

from bot.actions import Turn, run_action
from bot.messages import Outcome
from bot.replies import outcome
from bot.skills import Command


async def agenda_(turn: Turn, argument: str) -> Outcome:
    """/agenda [day]: today when no day is given."""
    day = argument.strip() or "today"
    result = await run_action(turn, "calendar.agenda", {"day": day})
    return outcome(turn, "command", result)


AGENDA = Command(
    "agenda",
    agenda_,
    "what is on the calendar: /agenda, /agenda tomorrow, /agenda friday",
    ("calendar.agenda",),
)
