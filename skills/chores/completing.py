"""Ticking chores off: "I emptied the dishwasher", "Sam took out the trash", a Done button;
and a parent's yes before the points of an approval chore count."""

from __future__ import annotations

from pydantic import BaseModel, Field

from bot.family import Member
from bot.markdown import escape
from bot.messages import Button, Reply
from bot.notify import MemberRecipient
from bot.tools import Risk, Tool, ToolContext, ToolError, ToolResult
from skills.chores import turns
from skills.chores.matching import Named, best_matches
from skills.chores.models import Chore, ChoreTurn
from skills.chores.nags import push, when
from skills.chores.people import acting_for, name_of, names


class CompleteArgs(BaseModel):
    chore: str = Field(default="", max_length=200, description="the chore done, e.g. 'dishes'")
    who: str = Field(default="", max_length=80, description="who did it; empty: the asker")
    said: str = Field(default="", max_length=500, description="the whole sentence, if any")
    turn_id: int | None = Field(default=None, description="set by a chore's Done button")


class ApproveArgs(BaseModel):
    turn_id: int | None = Field(default=None, description="a finished chore to approve")
    claim_id: int | None = Field(default=None, description="a reward claim to approve")
    approve: bool = Field(default=True, description="false to decline")


def _describe(ctx: ToolContext, owner: Chore, found: ChoreTurn) -> str:
    return f"{escape(owner.name)} ({when(ctx.services, found.due_at)})"


async def find_turn(
    ctx: ToolContext, chore: str, said: str, *, due_soon: bool, doer: Member | None = None
) -> tuple[ChoreTurn, Chore]:
    """The open turn a sentence means: by name and aliases, among those due by today (all open
    ones when not `due_soon`); a question when two could match, a kind no when none does. The
    doer's own turn due later counts as done early, unless the chore was already done today."""
    today = turns.local_day(ctx.services, ctx.services.clock.now())
    current = await turns.current_turns(ctx.services)
    ready = [
        pair
        for pair in current
        if not due_soon or turns.local_day(ctx.services, pair[0].due_at) <= today
    ]
    by_id = {owner.id: (found, owner) for found, owner in ready if owner.id is not None}
    choices = [Named(key, (owner.name, *owner.aliases)) for key, (_, owner) in by_id.items()]
    meant = best_matches(chore, said, choices)
    if len(meant) > 1 and doer is not None:
        mine = [n for n in meant if by_id[n.key][0].assignee_id == doer.id]
        meant = mine if len(mine) == 1 else meant
    if len(meant) == 1:
        return by_id[meant[0].key]
    if meant:
        shown = " or ".join(sorted(f"“{escape(by_id[n.key][1].name)}”" for n in meant))
        raise ToolError(f"Did you mean {shown}? Tell me again with the chore's name.")
    what = escape(chore or said)
    later = [
        pair
        for pair in current
        if pair not in ready
        and best_matches(chore, said, [Named(0, (pair[1].name, *pair[1].aliases))])
    ]
    if later:
        found, owner = later[0]
        early = doer is not None and found.assignee_id == doer.id
        if (
            early
            and owner.id is not None
            and not await turns.finished_on(ctx.services, owner.id, today)
        ):
            return found, owner  # their own next turn, done ahead of time
        who = escape(await name_of(ctx, found.assignee_id))
        raise ToolError(
            f"{escape(owner.name)} is done for now — next is {who}'s, "
            f"{when(ctx.services, found.due_at)}."
        )
    open_now = names([f"“{escape(owner.name)}”" for _, owner in ready]) if ready else "nothing"
    raise ToolError(f"I can't find an open chore like “{what}”. Open now: {open_now}.")


async def complete(ctx: ToolContext, args: CompleteArgs) -> ToolResult:
    doer = await acting_for(ctx, args.who)
    if args.turn_id is not None:
        found = await turns.turn(ctx.services, args.turn_id)
        if found is None:
            raise ToolError("That chore doesn't exist any more.")
        turn, owner = found
        if turn.state != "open":
            by = escape(await name_of(ctx, turn.done_by))
            raise ToolError(f"{escape(owner.name)} was already ticked off (by {by}).")
    else:
        if not (args.chore.strip() or args.said.strip()):
            raise ToolError("Which chore did you do?")
        turn, owner = await find_turn(ctx, args.chore, args.said, due_soon=True, doer=doer)
    following = await turns.finish(ctx.services, turn, owner, doer, ctx.member)
    points = "1 point" if owner.effort == 1 else f"{owner.effort} points"
    text = f"Done: {escape(owner.name)} ✓ — {points} for {escape(doer.name)}"
    if turn.state == "awaiting":
        text += " once a parent approves"
        await _ask_parents(ctx, turn, owner, doer)
    text += "."
    data: dict[str, object] = {"turn": turn.id, "done_by": doer.name, "state": turn.state}
    if following is not None:
        who = await name_of(ctx, following.assignee_id)
        text += f" Next: {escape(who)}, {when(ctx.services, following.due_at)}."
        data["next"] = {"who": who, "due": following.due_at.isoformat()}
    return ToolResult(text=text, data=data)


async def _ask_parents(ctx: ToolContext, turn: ChoreTurn, owner: Chore, doer: Member) -> None:
    assert turn.id is not None
    reply = Reply(
        text=f"{escape(doer.name)} says {escape(owner.name)} is done. Shall the "
        f"{owner.effort} points count?",
        buttons=(
            Button(label="Approve", data=f"chores:approve:{turn.id}", emoji="👍"),
            Button(label="Decline", data=f"chores:decline:{turn.id}", emoji="👎"),
        ),
    )
    for parent in await ctx.services.family.members():
        if parent.role == "parent":
            key = f"chores:approve:{turn.id}:{parent.id}"
            await push(ctx.services, MemberRecipient(parent.id), reply, key)


async def approve(ctx: ToolContext, args: ApproveArgs) -> ToolResult:
    if args.claim_id is not None:
        from skills.chores.rewards import decide_claim

        return await decide_claim(ctx, args.claim_id, args.approve)
    if args.turn_id is None:
        raise ToolError("What should I approve?")
    found = await turns.turn(ctx.services, args.turn_id)
    if found is None or found[0].state != "awaiting":
        raise ToolError("That chore isn't waiting for approval any more.")
    turn, owner = found
    turn.state = "done" if args.approve else "declined"
    await turns.save(ctx.services, turn)
    doer = await name_of(ctx, turn.done_by)
    verdict = "approved" if args.approve else "declined"
    text = f"{escape(owner.name)} by {escape(doer)}: {verdict}"
    text += f", {owner.effort} points counted." if args.approve else ", no points this time."
    if turn.done_by is not None and turn.done_by != ctx.member.id:
        key = f"chores:approved:{turn.id}"
        await push(ctx.services, MemberRecipient(turn.done_by), Reply(text=text), key)
    return ToolResult(text=text, data={"turn": turn.id, "state": turn.state})


COMPLETE = Tool(
    name="chores.complete",
    description="Tick off a chore someone did ('I emptied the dishwasher', 'Sam took out the "
    "trash').",
    args=CompleteArgs,
    risk=Risk.WRITE,
    run=complete,
    describe=lambda a: f"tick off {a.chore or a.said or 'that chore'}",
)
APPROVE = Tool(
    name="chores.approve",
    description="Approve or decline a finished chore's points, or a reward a child claimed.",
    args=ApproveArgs,
    risk=Risk.WRITE,
    run=approve,
    describe=lambda a: (
        ("approve" if a.approve else "decline")
        + (f" reward claim #{a.claim_id}" if a.claim_id else f" chore #{a.turn_id}")
    ),
)
