"""What is due: for me or for everyone (`/chores`), and "why me?" in one line."""

from __future__ import annotations

from collections import defaultdict
from datetime import datetime

from pydantic import BaseModel, Field

from bot.markdown import escape
from bot.tools import Risk, Tool, ToolContext, ToolError, ToolResult
from skills.chores import turns
from skills.chores.nags import when


class ListArgs(BaseModel):
    everyone: bool = Field(default=False, description="everyone's chores, not only mine")
    why: bool = Field(default=False, description="say why my current chore is mine")
    turn_id: int | None = Field(default=None, description="set by a chore's Why me? button")


def _overdue(ctx: ToolContext, due: datetime) -> str:
    return " — overdue" if due < ctx.services.clock.now() else ""


async def list_chores(ctx: ToolContext, args: ListArgs) -> ToolResult:
    if args.why or args.turn_id is not None:
        return await _why(ctx, args)
    current = await turns.current_turns(ctx.services)
    names = {m.id: m.name for m in await ctx.services.family.members()}
    shown = [
        (turn, owner)
        for turn, owner in current
        if args.everyone or turn.assignee_id in (ctx.member.id, None)
    ]
    data = [
        {
            "chore": owner.name,
            "who": names.get(turn.assignee_id, "anyone") if turn.assignee_id else "anyone",
            "due": turn.due_at.isoformat(),
            "reason": turn.reason,
        }
        for turn, owner in shown
    ]
    if not shown:
        text = (
            "Nothing to do — no chores are waiting."
            if args.everyone
            else ("You have no chores waiting. 🎉")
        )
        return ToolResult(text=text, data={"chores": []})
    if not args.everyone:
        lines = ["**Your chores**"] + [
            f"- {escape(owner.name)} — {when(ctx.services, turn.due_at)}"
            + ("" if turn.assignee_id else " (anyone)")
            + _overdue(ctx, turn.due_at)
            for turn, owner in shown
        ]
        return ToolResult(text="\n".join(lines), data={"chores": data})
    grouped: dict[str, list[str]] = defaultdict(list)
    for turn, owner in shown:
        who = names.get(turn.assignee_id, "Anyone") if turn.assignee_id else "Anyone"
        grouped[who].append(
            f"{escape(owner.name)} ({when(ctx.services, turn.due_at)}{_overdue(ctx, turn.due_at)})"
        )
    lines = ["**Everyone's chores**"] + [
        f"- {escape(who)}: " + "; ".join(items) for who, items in grouped.items()
    ]
    return ToolResult(text="\n".join(lines), data={"chores": data})


async def _why(ctx: ToolContext, args: ListArgs) -> ToolResult:
    if args.turn_id is not None:
        found = await turns.turn(ctx.services, args.turn_id)
        if found is None:
            raise ToolError("That chore doesn't exist any more.")
        turn, owner = found
    else:
        mine = [
            (turn, owner)
            for turn, owner in await turns.current_turns(ctx.services)
            if turn.assignee_id == ctx.member.id
        ]
        if not mine:
            raise ToolError("You have no chore waiting, so nothing to explain. 🎉")
        turn, owner = mine[0]
    whose = "yours" if turn.assignee_id == ctx.member.id else "theirs"
    text = f"{escape(owner.name)} is {whose} because {escape(turn.reason)}."
    return ToolResult(text=text, data={"turn": turn.id, "reason": turn.reason})


LIST = Tool(
    name="chores.list",
    description="The chores waiting for me (or everyone), and why a chore is mine.",
    args=ListArgs,
    risk=Risk.READ,
    run=list_chores,
)
