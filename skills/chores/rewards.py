"""Points and rewards: a balance summed from the chores done (never a running number), rewards
from `[skills.chores] rewards` that a member claims and a parent approves in chat."""

from __future__ import annotations

from pydantic import BaseModel, Field
from sqlmodel import col, func, select

from bot.markdown import escape
from bot.messages import Button, Reply
from bot.notify import MemberRecipient
from bot.services import SkillServices
from bot.tools import Risk, Tool, ToolContext, ToolError, ToolResult
from skills.chores import turns
from skills.chores.models import ChoreTurn, RewardClaim
from skills.chores.nags import push
from skills.chores.people import member_called, name_of

HOLDING = ("asked", "approved")
"""Claims whose points are spent (or held until a parent answers)."""


class RewardsArgs(BaseModel):
    member: str = Field(default="", max_length=80, description="whose balance; empty: mine")


class ClaimArgs(BaseModel):
    reward: str = Field(min_length=1, max_length=120, description="which reward")


async def balance(services: SkillServices, member_id: int) -> tuple[int, int]:
    """(points earned, points left after claims), both summed from the records in SQL."""
    async with services.sessions() as session:
        earned = (
            await session.exec(
                select(func.coalesce(func.sum(ChoreTurn.points), 0)).where(
                    ChoreTurn.done_by == member_id, ChoreTurn.state == "done"
                )
            )
        ).one()
        spent = (
            await session.exec(
                select(func.coalesce(func.sum(RewardClaim.cost), 0)).where(
                    RewardClaim.member_id == member_id, col(RewardClaim.state).in_(HOLDING)
                )
            )
        ).one()
    return int(earned), int(earned) - int(spent)


async def rewards(ctx: ToolContext, args: RewardsArgs) -> ToolResult:
    member = ctx.member
    if args.member.strip():
        member = await member_called(ctx, args.member)
        if member.id != ctx.member.id and ctx.member.role not in ("parent", "adult"):
            raise ToolError("You can see your own points; ask a parent about others'.")
    earned, left = await balance(ctx.services, member.id)
    offered = turns.settings(ctx.services).rewards
    lines = [f"{escape(member.name)} has **{left} points** ({earned} earned in all)."]
    if offered:
        lines.append("Rewards:")
        lines += [
            f"- {escape(name)}: {cost} points" + (" ✓ you can claim it" if cost <= left else "")
            for name, cost in sorted(offered.items(), key=lambda item: item[1])
        ]
    return ToolResult(
        text="\n".join(lines),
        data={"member": member.name, "points": left, "earned": earned, "rewards": offered},
    )


async def claim(ctx: ToolContext, args: ClaimArgs) -> ToolResult:
    from rapidfuzz import fuzz, process  # only when a reward is claimed, not at start-up

    offered = turns.settings(ctx.services).rewards
    found = process.extractOne(args.reward, list(offered), scorer=fuzz.WRatio, score_cutoff=70)
    if found is None:
        shown = ", ".join(f"“{escape(name)}”" for name in offered) or "none yet"
        raise ToolError(f"I don't know that reward. Rewards: {shown}.")
    name = found[0]
    cost = offered[name]
    _, left = await balance(ctx.services, ctx.member.id)
    if cost > left:
        raise ToolError(f"{escape(name)} costs {cost} points and you have {left}. Keep going!")
    now = ctx.services.clock.now()
    is_parent = ctx.member.role == "parent"
    row = RewardClaim(
        member_id=ctx.member.id,
        reward=name,
        cost=cost,
        state="approved" if is_parent else "asked",
        decided_by=ctx.member.id if is_parent else None,
        created_at=now,
    )
    await turns.save(ctx.services, row)
    assert row.id is not None
    if is_parent:
        return ToolResult(text=f"Enjoy: {escape(name)} ({cost} points).", data={"claim": row.id})
    reply = Reply(
        text=f"{escape(ctx.member.name)} would like {escape(name)} for {cost} points "
        f"(has {left}).",
        buttons=(
            Button(label="Approve", data=f"chores:grant:{row.id}", emoji="👍"),
            Button(label="Decline", data=f"chores:refuse:{row.id}", emoji="👎"),
        ),
    )
    for parent in await ctx.services.family.members():
        if parent.role == "parent":
            key = f"chores:claim:{row.id}:{parent.id}"
            await push(ctx.services, MemberRecipient(parent.id), reply, key)
    return ToolResult(
        text=f"I asked a parent about {escape(name)} ({cost} points); the points are held "
        "until they answer.",
        data={"claim": row.id, "state": row.state},
    )


async def decide_claim(ctx: ToolContext, claim_id: int, yes: bool) -> ToolResult:
    async with ctx.services.sessions() as session:
        row = await session.get(RewardClaim, claim_id)
    if row is None or row.state != "asked":
        raise ToolError("That claim was already answered.")
    row.state = "approved" if yes else "declined"
    row.decided_by = ctx.member.id
    await turns.save(ctx.services, row)
    who = await name_of(ctx, row.member_id)
    text = (
        f"{escape(row.reward)} for {escape(who)}: approved by {escape(ctx.member.name)}."
        if yes
        else f"{escape(row.reward)} for {escape(who)}: not this time; the points are back."
    )
    if row.member_id != ctx.member.id:
        await push(
            ctx.services,
            MemberRecipient(row.member_id),
            Reply(text=text),
            f"chores:claimed:{row.id}",
        )
    return ToolResult(text=text, data={"claim": row.id, "state": row.state})


REWARDS = Tool(
    name="chores.rewards",
    description="How many chore points someone has, and the rewards points can buy.",
    args=RewardsArgs,
    risk=Risk.READ,
    run=rewards,
)
CLAIM = Tool(
    name="chores.claim",
    description="Spend chore points on a reward (a parent approves it).",
    args=ClaimArgs,
    risk=Risk.WRITE,
    run=claim,
    describe=lambda a: f"claim the reward “{a.reward}”",
    idempotent=False,
)
