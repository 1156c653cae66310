"""Whose money a member may see and record: children only their own, guests nothing."""

from __future__ import annotations

from bot.markdown import escape
from bot.tools import ToolContext, ToolError
from skills.budget.ledger import Budget
from skills.budget.models import Expense

HOUSEHOLD_WORDS = frozenset({"", "household", "family", "us", "we", "our", "all", "everyone"})
SELF_WORDS = frozenset({"me", "my", "mine", "myself", "i"})
ONLY_YOUR_OWN = "You can only see and record your own pocket money."
NOT_FOR_GUESTS = "The family budget is only for the family's own members."


def pocket_money(member_id: int, name: str) -> Budget:
    return Budget(member_id, f"{name}'s pocket money")


HOUSEHOLD_BUDGET = Budget(None, "the household")


async def budget_for(ctx: ToolContext, member_name: str) -> Budget:
    """The budget asked about: a child always gets their own pocket money, adults any."""
    me = ctx.member
    if me.role == "guest":
        raise ToolError(NOT_FOR_GUESTS)
    name = " ".join(member_name.split())
    key = name.casefold()
    if me.role == "child":
        if key and key not in SELF_WORDS and key != me.name.casefold():
            raise ToolError(ONLY_YOUR_OWN)
        return pocket_money(me.id, me.name)
    if key in HOUSEHOLD_WORDS:
        return HOUSEHOLD_BUDGET
    if key in SELF_WORDS:
        return pocket_money(me.id, me.name)
    member = await ctx.services.family.find(name)
    if member is None:
        raise ToolError(f"There is nobody called {escape(name)} in the family.")
    return pocket_money(member.id, member.name)


async def every_budget(ctx: ToolContext) -> list[Budget]:
    """What an export holds: a child's own pocket money; for adults everything."""
    if ctx.member.role == "guest":
        raise ToolError(NOT_FOR_GUESTS)
    if ctx.member.role == "child":
        return [pocket_money(ctx.member.id, ctx.member.name)]
    members = await ctx.services.family.members()
    return [HOUSEHOLD_BUDGET, *(pocket_money(m.id, m.name) for m in members)]


def may_change(ctx: ToolContext, expense: Expense) -> bool:
    """Children change only their own pocket money; parents and adults any expense."""
    if ctx.member.role in ("parent", "adult"):
        return True
    return ctx.member.role == "child" and expense.owner_id == ctx.member.id
