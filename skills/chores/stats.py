"""The week's chores: points and chores done per member, on time vs late, with a chart."""

from __future__ import annotations

from collections import Counter
from datetime import timedelta

from pydantic import BaseModel, Field

from bot.markdown import escape
from bot.tools import Risk, Tool, ToolContext, ToolResult
from skills.chores import turns
from skills.chores.chart import MemberWeek, WeekChart, render

WEEK = timedelta(days=7)


class StatsArgs(BaseModel):
    chart: bool = Field(default=True, description="also send the week's chart as a picture")


async def stats(ctx: ToolContext, args: StatsArgs) -> ToolResult:
    now = ctx.services.clock.now()
    start = now - WEEK
    rows = await turns.turns_between(ctx.services, start - WEEK, now + WEEK)
    points: Counter[int] = Counter()
    on_time: Counter[int] = Counter()
    late: Counter[int] = Counter()
    missed: Counter[int] = Counter()
    for turn, _owner in rows:
        if turn.state == "done" and turn.done_by is not None and turn.done_at is not None:
            if start <= turn.done_at <= now:
                points[turn.done_by] += turn.points
                (on_time if turn.done_at <= turn.due_at else late)[turn.done_by] += 1
        elif turn.state == "missed" and turn.assignee_id is not None and start <= turn.due_at:
            missed[turn.assignee_id] += 1
    members = [m for m in await ctx.services.family.members() if m.role != "guest"]
    week = tuple(
        MemberWeek(m.name, points[m.id], on_time[m.id], late[m.id])
        for m in members
        if points[m.id] or on_time[m.id] or late[m.id] or missed[m.id]
    ) or tuple(MemberWeek(m.name, 0, 0, 0) for m in members)
    lines = ["**Chores this week**"]
    for m in members:
        if not (points[m.id] or late[m.id] or missed[m.id] or on_time[m.id]):
            continue
        score = points[m.id]
        line = f"- {escape(m.name)}: {score} point{'' if score == 1 else 's'}, "
        line += f"{on_time[m.id] + late[m.id]} done"
        if late[m.id]:
            line += f" ({late[m.id]} late)"
        if missed[m.id]:
            line += f", {missed[m.id]} missed"
        lines.append(line)
    if len(lines) == 1:
        lines.append("Nothing done yet this week.")
    image = None
    if args.chart:
        local = now.astimezone(turns.zone(ctx.services))
        title = f"Chores, week to {local:%a %d %b}"
        path = ctx.services.data_dir / "chores" / "charts" / f"week-{local:%Y-%m-%d}.png"
        await ctx.services.workers.run("chart", render, WeekChart(title, week), path)
        image = str(path)
    return ToolResult(
        text="\n".join(lines),
        data={
            "members": [
                {"name": m.name, "points": m.points, "on_time": m.on_time, "late": m.late}
                for m in week
            ]
        },
        image_path=image,
    )


STATS = Tool(
    name="chores.stats",
    description="This week's chores per member: points, chores done and how many were late; "
    "with a chart.",
    args=StatsArgs,
    risk=Risk.READ,
    run=stats,
)
