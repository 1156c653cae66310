"""Swapping one occurrence: the member asks another, who says yes or no with a button; the
helper's next turn of that chore then goes back to the one who asked."""

from __future__ import annotations

from pydantic import BaseModel, Field

from bot.markdown import escape
from bot.messages import Button, Reply
from bot.notify import MemberRecipient
from bot.tools import Risk, Tool, ToolContext, ToolError, ToolResult
from skills.chores import turns
from skills.chores.completing import find_turn
from skills.chores.nags import push, when
from skills.chores.people import member_called


class SwapArgs(BaseModel):
    chore: str = Field(default="", max_length=120, description="which of my chores")
    other: str = Field(default="", max_length=80, description="the member who takes it")
    turn_id: int | None = Field(default=None, description="set by the swap's Yes/No buttons")
    accept: bool | None = Field(default=None, description="the other member's answer")


async def swap(ctx: ToolContext, args: SwapArgs) -> ToolResult:
    if args.turn_id is not None and args.accept is not None:
        return await _answer(ctx, args.turn_id, args.accept)
    if not args.other.strip():
        raise ToolError("Swap with whom? For example “swap the dishwasher with Lena”.")
    other = await member_called(ctx, args.other)
    if other.id == ctx.member.id:
        raise ToolError("Pick someone else to swap with.")
    if args.chore.strip():
        turn, owner = await find_turn(ctx, args.chore, "", due_soon=False, doer=ctx.member)
    else:
        mine = [
            p for p in await turns.current_turns(ctx.services) if p[0].assignee_id == ctx.member.id
        ]
        if not mine:
            raise ToolError("You have no chore waiting to swap.")
        turn, owner = mine[0]
    if turn.assignee_id != ctx.member.id:
        raise ToolError(f"{escape(owner.name)} isn't yours to swap.")
    assert turn.id is not None
    assert owner.id is not None
    if other.id not in await turns.taking_part(ctx.services, owner.id):
        raise ToolError(f"{escape(other.name)} doesn't take part in {escape(owner.name)}.")
    turn.swap_with = other.id
    await turns.save(ctx.services, turn)
    due = when(ctx.services, turn.due_at)
    reply = Reply(
        text=f"{escape(ctx.member.name)} asks: will you do {escape(owner.name)} ({due}) instead? "
        "They take your next turn of it in return.",
        buttons=(
            Button(label="Yes", data=f"chores:swap:{turn.id}:yes", emoji="👍"),
            Button(label="No", data=f"chores:swap:{turn.id}:no", emoji="👎"),
        ),
    )
    await push(ctx.services, MemberRecipient(other.id), reply, f"chores:swap:{turn.id}:{other.id}")
    return ToolResult(
        text=f"I asked {escape(other.name)} to take {escape(owner.name)} ({due}).",
        data={"turn": turn.id, "asked": other.name},
    )


async def _answer(ctx: ToolContext, turn_id: int, accept: bool) -> ToolResult:
    found = await turns.turn(ctx.services, turn_id)
    if found is None or found[0].state != "open" or found[0].swap_with != ctx.member.id:
        raise ToolError("That swap isn't waiting for you any more.")
    turn, owner = found
    asker = turn.assignee_id
    turn.swap_with = None
    if accept:
        turn.swapped_from, turn.assignee_id, turn.swap_settled = asker, ctx.member.id, False
        names = {m.id: m.name for m in await ctx.services.family.members()}
        turn.reason = f"you swapped with {names.get(asker or 0, 'someone')}"
    await turns.save(ctx.services, turn)
    due = when(ctx.services, turn.due_at)
    text = (
        f"Swapped: {escape(ctx.member.name)} does {escape(owner.name)} ({due})."
        if accept
        else f"{escape(ctx.member.name)} can't take {escape(owner.name)} ({due}); "
        "it stays as it was."
    )
    if asker is not None:
        await push(
            ctx.services,
            MemberRecipient(asker),
            Reply(text=text),
            f"chores:swapped:{turn.id}:{ctx.member.id}",
        )
    return ToolResult(text=text, data={"turn": turn.id, "accepted": accept})


SWAP = Tool(
    name="chores.swap",
    description="Ask another member to take my turn of a chore once (they confirm).",
    args=SwapArgs,
    risk=Risk.WRITE,
    run=swap,
    describe=lambda a: f"swap {a.chore or 'my chore'} with {a.other}",
)
