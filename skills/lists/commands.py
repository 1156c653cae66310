"""/list: show a list, or add and tick off items without the LLM."""

from __future__ import annotations

from bot.actions import Turn, run_action
from bot.fastpath import split_items
from bot.messages import Outcome
from bot.replies import outcome, say
from bot.skills import Command

LIST_VERBS = {
    "add": "lists.add",
    "check": "lists.check",
    "tick": "lists.check",
    "done": "lists.check",
}


async def list_(turn: Turn, argument: str) -> Outcome:
    """/list [name] [add|check ITEMS]; with no verb it shows the list."""
    words = argument.split()
    verb_at = next((i for i, word in enumerate(words) if word.lower() in LIST_VERBS), None)
    if verb_at is None:
        result = await run_action(turn, "lists.show", {"list_name": argument.strip()})
        return outcome(turn, "command", result)
    list_name = " ".join(words[:verb_at])
    items = split_items(" ".join(words[verb_at + 1 :]))
    if not items:
        return say(turn, "command", "Which items? For example: /list add milk, eggs")
    tool = LIST_VERBS[words[verb_at].lower()]
    result = await run_action(turn, tool, {"list_name": list_name, "items": items})
    return outcome(turn, "command", result)


LIST = Command(
    "list",
    list_,
    "show a list; /list add milk, eggs; /list check milk; /list to-do add call grandma",
    ("lists.show",),
)
