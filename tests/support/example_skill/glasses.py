"""example.drink / example.undo: the tools behind /water, its Undo button and the fast path.

A tool is where an action lives: `run_action` checks the member's role, validates the
arguments, journals and audits it, whichever way it was asked for.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from pydantic import BaseModel, Field
from sqlmodel import col, func, select

from bot.family import Member
from bot.markdown import escape
from bot.services import SkillServices
from bot.skills import PromptContext
from bot.tools import Risk, Tool, ToolContext, ToolError, ToolResult
from tests.support.example_skill.models import Glass
from tests.support.example_skill.reminders import remind_daily


class NoArgs(BaseModel):
    pass


class UndoArgs(BaseModel):
    glass_id: int = Field(description="the glass to take back")


async def glasses_since_midnight(services: SkillServices, member_id: int) -> int:
    """How many glasses the member drank today, in the household's timezone."""
    here = ZoneInfo(services.household.timezone)
    now = services.clock.now().astimezone(here)
    midnight = datetime(now.year, now.month, now.day, tzinfo=here)
    async with services.sessions() as session:
        counted = await session.exec(
            select(func.count(col(Glass.id))).where(
                Glass.member_id == member_id,
                col(Glass.drunk_at) >= midnight,
                col(Glass.drunk_at) < midnight + timedelta(days=1),
            )
        )
        return int(counted.one())


async def drink(ctx: ToolContext, _args: NoArgs) -> ToolResult:
    """Records a glass; the first one also starts the member's daily reminder."""
    async with ctx.services.sessions() as session:
        glass = Glass(member_id=ctx.member.id, drunk_at=ctx.services.clock.now())
        session.add(glass)
        await session.commit()
    await remind_daily(ctx.services, ctx.member.id)
    today = await glasses_since_midnight(ctx.services, ctx.member.id)
    plural = "glass" if today == 1 else "glasses"
    return ToolResult(
        text=f"Noted, {escape(ctx.member.name)}: {today} {plural} of water today. 💧",
        data={"glass_id": glass.id, "today": today},
    )


async def undo(ctx: ToolContext, args: UndoArgs) -> ToolResult:
    """Takes a glass back; only the member who drank it may."""
    async with ctx.services.sessions() as session:
        glass = await session.get(Glass, args.glass_id)
        if glass is None:
            return ToolResult(text="That glass was already taken back.")
        if glass.member_id != ctx.member.id:
            raise ToolError("That glass isn't yours to take back.")
        await session.delete(glass)
        await session.commit()
    today = await glasses_since_midnight(ctx.services, ctx.member.id)
    return ToolResult(
        text=f"Taken back: {today} glass{'' if today == 1 else 'es'} of water today.",
        data={"today": today},
    )


async def glasses_today(services: SkillServices, member: Member) -> PromptContext:
    """The prompt-context line: lets the model answer "how much water did I drink?"."""
    today = await glasses_since_midnight(services, member.id)
    if not today:
        return PromptContext()
    return PromptContext(lines=(f"{member.name} has drunk {today} glass(es) of water today.",))


DRINK = Tool(
    name="example.drink",
    description="Record that the member just drank a glass of water",
    args=NoArgs,
    risk=Risk.WRITE,
    run=drink,
    describe=lambda _args: "record a glass of water",
    idempotent=False,
)
UNDO = Tool(
    name="example.undo",
    description="Take back a glass of water recorded by mistake",
    args=UndoArgs,
    risk=Risk.WRITE,
    run=undo,
    describe=lambda args: f"take back glass {args.glass_id}",
)
