"""Setting chores up: add one ("Ben and Lena take turns to empty the dishwasher every day")
and hand an occurrence to someone else (chores.assign)."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, Field, field_validator

from bot.fastpath import split_items
from bot.markdown import escape
from bot.tools import Risk, Tool, ToolContext, ToolError, ToolResult
from skills.chores import repeats, turns
from skills.chores.completing import find_turn
from skills.chores.models import ROTATIONS, Chore, ChoreMember
from skills.chores.nags import when
from skills.chores.people import member_called, name_of, names
from skills.chores.repeats import Repeat, UnclearRepeat

EVERYONE = frozenset({"", "everyone", "everybody", "all", "alle", "todos", "todas"})
ANYONE = frozenset(
    {"anyone", "anybody", "whoever", "irgendwer", "jeder", "qualquer um", "quien sea"}
)


def _names_list(value: Any) -> Any:
    if isinstance(value, str):
        return split_items(value)
    return value


class AddArgs(BaseModel):
    what: str = Field(
        min_length=1,
        max_length=200,
        description="the chore, may hold how often: 'empty the dishwasher every day at 7pm'",
    )
    when: str = Field(
        default="",
        max_length=120,
        description="how often, if not in `what`: 'every day', 'Mondays and Thursdays', "
        "'every 2 weeks', '3 days after it was last done'",
    )
    who: list[str] = Field(
        default_factory=list, description="members taking part; empty: everyone; ['anyone']"
    )
    effort: int = Field(default=1, ge=1, le=100, description="points it is worth")
    rotation: str = Field(default="", description="round_robin, fewest_points or random")
    approval: bool = Field(default=False, description="a parent approves before points count")
    aliases: list[str] = Field(default_factory=list, max_length=10, description="other names")

    _who = field_validator("who", "aliases", mode="before")(_names_list)


class AssignArgs(BaseModel):
    chore: str = Field(min_length=1, max_length=120, description="which chore")
    who: str = Field(min_length=1, max_length=80, description="the member who does it now")


def _read(args: AddArgs) -> tuple[str, Repeat]:
    try:
        if args.when.strip():
            _, repeat = repeats.read(args.when)
            return args.what.strip(" .,"), repeat
        return repeats.read(args.what)
    except UnclearRepeat as question:
        raise ToolError(str(question)) from None


async def add(ctx: ToolContext, args: AddArgs) -> ToolResult:
    name, repeat = _read(args)
    if not name:
        raise ToolError("Which chore? For example “empty the dishwasher every day”.")
    rotation = args.rotation.strip().casefold().replace("-", "_").replace(" ", "_")
    rotation = rotation or turns.settings(ctx.services).rotation
    if rotation not in ROTATIONS:
        raise ToolError(f"Rotation can be {', '.join(ROTATIONS)}.")
    keys = {" ".join(w.split()).casefold() for w in args.who}
    anyone = bool(keys & ANYONE)
    if anyone or keys <= EVERYONE:
        members = [m for m in await ctx.services.family.members() if m.role != "guest"]
    else:
        members = [await member_called(ctx, who) for who in args.who]
    members = list({m.id: m for m in members}.values())
    if not members:
        raise ToolError("Who takes part? Add the family's members first.")
    chore = Chore(
        name=name[0].upper() + name[1:],
        aliases=[a.strip() for a in args.aliases if a.strip()],
        effort=args.effort,
        rrule=repeat.rrule,
        after_days=repeat.after_days,
        due_minute=repeat.due_minute,
        rotation=rotation,
        anyone=anyone,
        needs_approval=args.approval,
        channel=ctx.channel,
        chat_id=ctx.chat_id,
        created_by=ctx.member.id,
        created_at=ctx.services.clock.now(),
    )
    await turns.save(ctx.services, chore)
    assert chore.id is not None
    await turns.save(
        ctx.services,
        *(
            ChoreMember(chore_id=chore.id, member_id=m.id, position=n)
            for n, m in enumerate(members)
        ),
    )
    first = await turns.give_turn(
        ctx.services, chore, turns.first_due(ctx.services, chore, repeat.once_in_days)
    )
    minute = turns.due_minute(ctx.services, chore)
    how = f"{repeat.describe()} by {minute // 60:02d}:{minute % 60:02d}"
    taking = "anyone can do it" if anyone else f"{names([m.name for m in members])} take part"
    if not anyone and len(members) > 1:
        taking += f" ({rotation.replace('_', '-')})"
    points = "1 point" if chore.effort == 1 else f"{chore.effort} points"
    first_who = await name_of(ctx, first.assignee_id)
    return ToolResult(
        text=f"New chore: {escape(chore.name)}, {how}, {points}; {escape(taking)}. "
        f"First: {escape(first_who)}, {when(ctx.services, first.due_at)}.",
        data={
            "chore": chore.id,
            "name": chore.name,
            "rrule": chore.rrule,
            "after_days": chore.after_days,
            "members": [m.name for m in members],
            "rotation": rotation,
            "first": {"who": first_who, "due": first.due_at.isoformat()},
        },
    )


async def assign(ctx: ToolContext, args: AssignArgs) -> ToolResult:
    turn, owner = await find_turn(ctx, args.chore, "", due_soon=False)
    member = await member_called(ctx, args.who)
    turn.assignee_id, turn.swap_with = member.id, None
    turn.reason = f"{ctx.member.name} gave it to you"
    await turns.save(ctx.services, turn)
    return ToolResult(
        text=f"{escape(owner.name)} ({when(ctx.services, turn.due_at)}) is now "
        f"{escape(member.name)}'s.",
        data={"turn": turn.id, "assignee": member.name},
    )


ADD = Tool(
    name="chores.add",
    description="Set up a household chore: how often, who takes turns, points, rotation.",
    args=AddArgs,
    risk=Risk.WRITE,
    run=add,
    describe=lambda a: f"add the chore “{a.what}”",
    idempotent=False,
)
ASSIGN = Tool(
    name="chores.assign",
    description="Give a chore's current turn to a particular family member.",
    args=AssignArgs,
    risk=Risk.WRITE,
    run=assign,
    describe=lambda a: f"give {a.chore} to {a.who}",
)
