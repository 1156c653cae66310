"""Who a chore sentence is about: "I", a member's name, or the family's members."""

from __future__ import annotations

from collections.abc import Sequence

from bot.family import Member
from bot.markdown import escape
from bot.tools import ToolContext, ToolError

MYSELF = frozenset(
    {"", "i", "me", "myself", "i've", "i just", "i have", "ich", "mich", "ich habe", "eu",
     "eu já", "yo", "mí"}
)  # fmt: skip
MAY_ACT_FOR_OTHERS = ("parent", "adult")


def names(members: Sequence[str]) -> str:
    """'Ben', 'Ben and Lena', 'Ben, Lena and Mia'."""
    if not members:
        return "nobody"
    return members[0] if len(members) == 1 else ", ".join(members[:-1]) + " and " + members[-1]


async def member_called(ctx: ToolContext, name: str) -> Member:
    """The member a name (or "I") means; a kind error when nobody is called so."""
    key = " ".join(name.split()).strip(" ,.").removeprefix("@")
    if key.casefold() in MYSELF or key.casefold() == ctx.member.name.casefold():
        return ctx.member
    member = await ctx.services.family.find(key)
    if member is None:
        raise ToolError(f"There is nobody called {escape(key)} in the family.")
    return member


async def acting_for(ctx: ToolContext, name: str) -> Member:
    """Whom a member may act for: parents and adults anyone, children only themselves."""
    member = await member_called(ctx, name)
    if member.id != ctx.member.id and ctx.member.role not in MAY_ACT_FOR_OTHERS:
        raise ToolError(
            f"You can only tick off your own chores — {escape(member.name)} can tell me "
            "themselves, or ask a parent."
        )
    return member


async def name_of(ctx: ToolContext, member_id: int | None) -> str:
    if member_id is None:
        return "anyone"
    found = {m.id: m.name for m in await ctx.services.family.members()}
    return found.get(member_id, "someone")
