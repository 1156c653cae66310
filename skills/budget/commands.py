"""/spent 12.50 groceries Lidl and /budget [month | list | export | undo | limit ...]."""

from __future__ import annotations

import re

from bot.actions import Turn, run_action
from bot.messages import Outcome
from bot.replies import outcome, say
from bot.skills import Command
from skills.budget.money import NUMBER, is_currency_word

MONTH = re.compile(r"^\d{4}-\d{2}$")
SPENT_USAGE = "Which amount? For example: /spent 12.50 groceries Lidl"


def split_amount(argument: str) -> tuple[str, list[str]]:
    """'42,50 € groceries Lidl' → ('42,50 €', ['groceries', 'Lidl']); '' when no amount leads."""
    words = argument.split()
    if len(words) >= 2 and NUMBER.fullmatch(words[1]) and is_currency_word(words[0]):
        return " ".join(words[:2]), words[2:]
    if words and any(char.isdigit() for char in words[0]):
        if len(words) >= 2 and is_currency_word(words[1]):
            return " ".join(words[:2]), words[2:]
        return words[0], words[1:]
    return "", words


async def spent(turn: Turn, argument: str) -> Outcome:
    """/spent AMOUNT [CATEGORY] [MERCHANT...]."""
    amount, rest = split_amount(argument)
    if not amount:
        return say(turn, "command", SPENT_USAGE)
    args = {"amount": amount, "category": rest[0] if rest else "", "merchant": " ".join(rest[1:])}
    return outcome(turn, "command", await run_action(turn, "budget.add_expense", args))


async def budget(turn: Turn, argument: str) -> Outcome:
    """/budget [YYYY-MM]; /budget list; /budget export [YYYY-MM]; /budget undo;
    /budget limit CATEGORY AMOUNT."""
    verb, _, rest = argument.strip().partition(" ")
    verb, rest = verb.casefold(), rest.strip()
    if verb == "list":
        result = await run_action(turn, "budget.list", {"month": rest})
    elif verb == "export":
        result = await run_action(turn, "budget.export", {"month": rest})
    elif verb == "undo":
        result = await run_action(turn, "budget.undo_delete", {})
    elif verb == "limit":
        category, _, amount = rest.partition(" ")
        if not amount.strip():
            return say(turn, "command", "For example: /budget limit groceries 400")
        args = {"category": category, "amount": amount.strip()}
        result = await run_action(turn, "budget.set_limit", args)
    elif not verb or MONTH.match(verb):
        result = await run_action(turn, "budget.summary", {"month": verb})
    else:
        result = await run_action(turn, "budget.summary", {"member": argument.strip()})
    return outcome(turn, "command", result)


SPENT = Command(
    "spent",
    spent,
    "record an expense: /spent 12.50 groceries Lidl",
    ("budget.add_expense",),
)
BUDGET = Command(
    "budget",
    budget,
    "this month's spending and chart; /budget 2026-10; /budget list; /budget export; "
    "/budget undo; /budget limit groceries 400",
    ("budget.summary",),
)
