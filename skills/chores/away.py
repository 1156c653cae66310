"""`/away until Sunday`: a member away is skipped by every rotation and not penalised; the
turns already given to them while away go to the next member."""

from __future__ import annotations

import re
from datetime import date, timedelta

from pydantic import BaseModel, Field

from bot.markdown import escape
from bot.tools import Risk, Tool, ToolContext, ToolError, ToolResult
from skills.chores import turns
from skills.chores.models import Absence
from skills.chores.people import member_called
from skills.chores.repeats import DAY_NAMES
from skills.chores.rotation import choose

UNTIL = re.compile(r"^(?:until|till|til|to|bis|até|ate|hasta|through)\s+(?:the |el |o |a )?", re.I)
IN_DAYS = re.compile(r"^(?:for\s+)?(\d{1,3})\s+(?:days?|tage?n?|dias?|días?)$", re.I)
TOMORROW = re.compile(r"^(?:tomorrow|morgen|amanhã|amanha|mañana|manana)$", re.I)
TODAY = re.compile(r"^(?:today|tonight|heute|hoje|hoy)$", re.I)
ASK_UNTIL = "Until when? For example “/away until Sunday”, “/away 3 days” or “/away 2026-08-14”."


class AwayArgs(BaseModel):
    until: str = Field(default="", max_length=60, description="the last day away: 'Sunday'")
    member: str = Field(default="", max_length=80, description="who is away; empty: me")
    back: bool = Field(default=False, description="true: they are back, end the absence")


def last_day(text: str, today: date) -> date:
    """'until Sunday' → the coming Sunday (today when it is Sunday); ValueError if unclear."""
    words = UNTIL.sub("", " ".join(text.split()).strip(" .!"))
    if TODAY.match(words):
        return today
    if TOMORROW.match(words):
        return today + timedelta(days=1)
    if found := IN_DAYS.match(words):
        return today + timedelta(days=int(found[1]) - 1)
    for index, names in enumerate(DAY_NAMES.values()):
        if re.fullmatch(rf"(?:{names})s?", words, re.I):
            return today + timedelta(days=(index - today.weekday()) % 7)
    try:
        return date.fromisoformat(words)
    except ValueError:
        raise ValueError(ASK_UNTIL) from None


async def away(ctx: ToolContext, args: AwayArgs) -> ToolResult:
    member = await member_called(ctx, args.member)
    if member.id != ctx.member.id and ctx.member.role not in ("parent", "adult"):
        raise ToolError("You can mark yourself away; ask a parent for anyone else.")
    today = turns.local_day(ctx.services, ctx.services.clock.now())
    periods = (await turns.absences(ctx.services, [member.id]))[member.id]
    if args.back:
        ended = [a for a in periods if a.until >= today]
        for absence in ended:
            absence.until = today - timedelta(days=1)
        await turns.save(ctx.services, *ended)
        return ToolResult(text=f"Welcome back, {escape(member.name)}!", data={"back": True})
    try:
        until = last_day(args.until, today)
    except ValueError as error:
        raise ToolError(str(error)) from None
    if until < today:
        raise ToolError("That day has passed already. " + ASK_UNTIL)
    absence = Absence(
        member_id=member.id, starts_on=today, until=until, created_at=ctx.services.clock.now()
    )
    await turns.save(ctx.services, absence)
    moved = await hand_on(ctx, member.id)
    note = f" I gave {moved} of their chores to others." if moved else ""
    return ToolResult(
        text=f"{escape(member.name)} is away until {until:%a %d %b}: no chores until then.{note}",
        data={"member": member.name, "until": until.isoformat(), "moved": moved},
    )


async def hand_on(ctx: ToolContext, member_id: int) -> int:
    """Turns given to a member that fall due while they are away go to the next member."""
    moved = 0
    for turn, owner in await turns.current_turns(ctx.services):
        if turn.assignee_id != member_id or owner.anyone:
            continue
        pool = await turns.candidates(ctx.services, owner, turn.due_at)
        if not any(c.member_id == member_id and c.away for c in pool):
            continue
        choice = choose(owner.rotation, pool, member_id, f"{turn.id}:away")
        if choice.member_id == member_id:
            continue
        turn.assignee_id, turn.reason, turn.swap_with = choice.member_id, choice.reason, None
        await turns.save(ctx.services, turn)
        moved += 1
    return moved


AWAY = Tool(
    name="chores.away",
    description="Mark a member away until a day (no chores meanwhile), or back again.",
    args=AwayArgs,
    risk=Risk.WRITE,
    run=away,
    describe=lambda a: (
        f"mark {a.member or 'you'} away until {a.until}"
        if not a.back
        else f"mark {a.member or 'you'} back"
    ),
)
