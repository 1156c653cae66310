"""Tools for reminders: add (in the family's words), list, cancel, snooze and mark done."""

from __future__ import annotations

import re
from datetime import timedelta
from zoneinfo import ZoneInfo

from pydantic import BaseModel, Field

from bot.family import Member
from bot.markdown import escape
from bot.scheduler import Job
from bot.tools import Risk, Tool, ToolContext, ToolError, ToolResult
from skills.reminders import records
from skills.reminders.delivery import local
from skills.reminders.models import Reminder, ReminderOccurrence
from skills.reminders.settings import RemindersSettings
from skills.reminders.when import LANGUAGES, TimeReader, UnclearTime, When, describe, repeats

MYSELF = frozenset({"", "me", "myself", "mich", "mir", "mim", "eu", "mí", "yo"})
CONNECTOR = re.compile(r"^(?:to|that|about|of|an|daran|dass|de|que|para)\s+", re.IGNORECASE)
MAY_REMIND_OTHERS = ("parent", "adult")


class AddArgs(BaseModel):
    what: str = Field(
        min_length=1,
        max_length=500,
        description="what to remind of; may hold the time too: 'call grandma tomorrow at 5pm'",
    )
    when: str = Field(
        default="",
        max_length=120,
        description="when, in the member's words ('in 20 minutes', 'every weekday at 7:15'); "
        "empty when `what` says it",
    )
    who: str = Field(default="", max_length=80, description="the member it is for; empty: me")
    important: bool = Field(
        default=False, description="pass it on to another adult when nobody says it's done"
    )
    catch_up_minutes: int | None = Field(
        default=None, ge=0, le=7 * 24 * 60, description="how late it may still come after downtime"
    )


class ListArgs(BaseModel):
    pass


class ReminderArgs(BaseModel):
    reminder_id: int | None = Field(default=None, description="the reminder's number (#12)")
    occurrence_id: int | None = Field(default=None, description="set by a reminder's buttons")


class SnoozeArgs(ReminderArgs):
    minutes: int = Field(default=10, ge=1, le=24 * 60, description="how long to snooze")


def _reader(ctx: ToolContext) -> TimeReader:
    household = ctx.services.household
    first = ctx.member.language or household.language
    languages = (first, *(code for code in LANGUAGES if code != first))
    return TimeReader(
        now=ctx.services.clock.now(),
        timezone=ZoneInfo(household.timezone),
        languages=[code for code in languages if code in LANGUAGES] or LANGUAGES,
        default_time=ctx.services.settings_as(RemindersSettings).default_time,
    )


async def _target(ctx: ToolContext, who: str) -> Member:
    """The member a reminder is for; children may only remind themselves."""
    name = who.strip().removeprefix("@")
    if name.casefold() in MYSELF or name.casefold() == ctx.member.name.casefold():
        return ctx.member
    target = await ctx.services.family.find(name)
    if target is None:
        raise ToolError(f"{escape(name)} isn't in the family, so I can't remind them.")
    if ctx.member.role not in MAY_REMIND_OTHERS:
        raise ToolError(
            f"You can set reminders for yourself; ask a parent to remind {escape(target.name)}."
        )
    return target


def _catch_up(settings: RemindersSettings, when: When, args: AddArgs, ctx: ToolContext) -> int:
    """Per reminder; a short one ("take the pizza out" in 20 minutes) gets the short window."""
    if args.catch_up_minutes is not None:
        return args.catch_up_minutes * 60
    soon = when.first - ctx.services.clock.now() <= timedelta(
        minutes=settings.short_notice_minutes
    )
    minutes = settings.short_catch_up_minutes if when.rrule is None and soon else None
    return (minutes if minutes is not None else settings.catch_up_minutes) * 60


async def add(ctx: ToolContext, args: AddArgs) -> ToolResult:
    target = await _target(ctx, args.who)
    reader = _reader(ctx)
    try:
        if args.when.strip():
            what, when = args.what, reader.read(args.when)
        else:
            what, when = reader.split(args.what)
    except UnclearTime as question:
        raise ToolError(str(question)) from None
    what = CONNECTOR.sub("", " ".join(what.split()).strip(" ,.:;")).strip()
    if not what:
        raise ToolError("What should I remind you of?")
    settings = ctx.services.settings_as(RemindersSettings)
    now = ctx.services.clock.now()
    reminder = await records.add(
        ctx.services,
        Reminder(
            member_id=target.id,
            created_by=ctx.member.id,
            text=what,
            channel=ctx.channel,
            chat_id=ctx.chat_id,
            first_at=when.first,
            rrule=when.rrule,
            important=args.important,
            catch_up_s=_catch_up(settings, when, args, ctx),
            created_at=now,
        ),
    )
    assert reminder.id is not None
    await ctx.services.jobs.schedule(
        "due",
        records.due_job(reminder.id),
        at=None if when.rrule else when.first,
        rrule=when.rrule,
        member_id=target.id,
        channel=ctx.channel,
        chat_id=ctx.chat_id,
        payload={"reminder": reminder.id},
        catch_up=timedelta(seconds=reminder.catch_up_s),
    )
    timezone = ZoneInfo(ctx.services.household.timezone)
    whom = "you" if target.id == ctx.member.id else escape(target.name)
    shown = describe(when, timezone, now)
    return ToolResult(
        text=f"OK, I'll remind {whom} {shown}: {escape(what)} (#{reminder.id}).",
        data={
            "reminder": reminder.id,
            "for": target.name,
            "what": what,
            "first": when.first.isoformat(),
            "rrule": when.rrule,
        },
    )


def _state(ctx: ToolContext, reminder: Reminder, latest: ReminderOccurrence | None) -> str:
    if latest is None:
        return "scheduled"
    if latest.state == "snoozed" and latest.snoozed_until is not None:
        return f"snoozed until {local(ctx.services, latest.snoozed_until):%H:%M}"
    if latest.state == "acknowledged":
        return "done"
    if latest.state == "sent":
        return "sent, not done yet" if latest.resent == 0 else f"sent {latest.resent + 1}×, open"
    return latest.state


async def list_reminders(ctx: ToolContext, args: ListArgs) -> ToolResult:
    listed = await records.listed(ctx.services, ctx.member.id)
    upcoming = {job.payload.get("reminder"): job.next_run_at for job in await _due_jobs(ctx)}
    if not listed:
        return ToolResult(text="You have no reminders.", data={"reminders": []})
    names = {member.id: member.name for member in await ctx.services.family.members()}
    timezone = ZoneInfo(ctx.services.household.timezone)
    now = ctx.services.clock.now()
    lines, data = [], []
    for reminder, latest in listed:
        state = _state(ctx, reminder, latest)
        parts = [f"#{reminder.id} {escape(reminder.text)}"]
        if reminder.member_id != ctx.member.id:
            parts.append(f"for {escape(names.get(reminder.member_id, '?'))}")
        if reminder.rrule:
            parts.append(repeats(reminder.rrule))
        if latest is not None:
            parts.append(f"{local(ctx.services, latest.due_at):%a %H:%M}: {state}")
        following = upcoming.get(reminder.id)
        if following is not None and reminder.state == "active":
            parts.append(f"next {describe(When(first=following), timezone, now)}")
        lines.append("- " + " — ".join(parts))
        data.append(
            {
                "reminder": reminder.id,
                "what": reminder.text,
                "state": latest.state if latest else "scheduled",
                "next": following.isoformat() if following else None,
            }
        )
    return ToolResult(text="**Reminders**\n" + "\n".join(lines), data={"reminders": data})


async def _due_jobs(ctx: ToolContext) -> list[Job]:
    return [job for job in await ctx.services.jobs.jobs() if job.kind == "due"]


async def _open_occurrence(
    ctx: ToolContext, args: ReminderArgs
) -> tuple[ReminderOccurrence, Reminder]:
    """The occurrence a Done or Snooze is about; only its member, its maker or a parent may."""
    if args.occurrence_id is not None:
        found = await records.occurrence(ctx.services, args.occurrence_id)
    else:
        row = await records.latest_open(ctx.services, ctx.member.id, args.reminder_id)
        found = await records.occurrence(ctx.services, row.id) if row and row.id else None
    if found is None:
        raise ToolError("I can't find an open reminder to do that with.")
    row, reminder = found
    if ctx.member.id not in (reminder.member_id, reminder.created_by) and (
        ctx.member.role != "parent"
    ):
        raise ToolError("That reminder isn't yours.")
    return row, reminder


async def done(ctx: ToolContext, args: ReminderArgs) -> ToolResult:
    row, reminder = await _open_occurrence(ctx, args)
    if row.state == "acknowledged":
        return ToolResult(text=f"Already done: {escape(reminder.text)}.", data={"done": True})
    assert row.id is not None
    row.state = "acknowledged"
    row.settled_at = ctx.services.clock.now()
    row.snoozed_until = None
    if reminder.rrule is None:
        reminder.state = "finished"
    await records.save(ctx.services, row, reminder)
    await ctx.services.jobs.cancel(records.nag_job(row.id))
    await ctx.services.jobs.cancel(records.snooze_job(row.id))
    return ToolResult(text=f"Done: {escape(reminder.text)} ✓", data={"done": True})


async def snooze(ctx: ToolContext, args: SnoozeArgs) -> ToolResult:
    row, reminder = await _open_occurrence(ctx, args)
    if row.state not in records.OPEN:
        raise ToolError(f"“{escape(reminder.text)}” is already {row.state}.")
    assert row.id is not None
    until = ctx.services.clock.now() + timedelta(minutes=args.minutes)
    row.state = "snoozed"
    row.snoozed_until = until
    await records.save(ctx.services, row)
    await ctx.services.jobs.cancel(records.nag_job(row.id))
    await ctx.services.jobs.schedule(
        "snoozed",
        records.snooze_job(row.id),
        at=until,
        member_id=reminder.member_id,
        payload={"occurrence": row.id},
        catch_up=timedelta(seconds=reminder.catch_up_s),
    )
    return ToolResult(
        text=f"Snoozed until {local(ctx.services, until):%H:%M}: {escape(reminder.text)}.",
        data={"snoozed_until": until.isoformat()},
    )


async def cancel(ctx: ToolContext, args: ReminderArgs) -> ToolResult:
    if args.reminder_id is None:
        raise ToolError("Which reminder? Give its number from /reminders, e.g. #12.")
    reminder = await records.get(ctx.services, args.reminder_id)
    mine = reminder is not None and ctx.member.id in (reminder.member_id, reminder.created_by)
    if (
        reminder is None
        or reminder.state == "cancelled"
        or not (mine or ctx.member.role == "parent")
    ):
        raise ToolError(f"There is no reminder #{args.reminder_id} of yours.")
    reminder.state = "cancelled"
    await records.save(ctx.services, reminder)
    await ctx.services.jobs.cancel(records.due_job(args.reminder_id))
    for job in await ctx.services.jobs.jobs():
        occurrence = job.payload.get("occurrence")
        if job.kind in ("nag", "snoozed") and isinstance(occurrence, int):
            found = await records.occurrence(ctx.services, occurrence)
            if found is not None and found[1].id == reminder.id:
                await ctx.services.jobs.cancel(job.key.removeprefix("reminders:"))
    return ToolResult(
        text=f"Cancelled #{args.reminder_id}: {escape(reminder.text)}.",
        data={"cancelled": args.reminder_id},
    )


ADD = Tool(
    name="reminders.add",
    description="Remind a family member of something at a time, once or repeating.",
    args=AddArgs,
    risk=Risk.WRITE,
    run=add,
    describe=lambda a: f"set a reminder: {a.what} {a.when}".strip(),
    idempotent=False,
)
LIST = Tool(
    name="reminders.list",
    description="Show my reminders and whether each was sent, done, snoozed or missed.",
    args=ListArgs,
    risk=Risk.READ,
    run=list_reminders,
    untrusted_output=True,
)
CANCEL = Tool(
    name="reminders.cancel",
    description="Cancel a reminder by its number.",
    args=ReminderArgs,
    risk=Risk.WRITE,
    run=cancel,
    describe=lambda a: f"cancel reminder #{a.reminder_id}",
)
SNOOZE = Tool(
    name="reminders.snooze",
    description="Snooze a reminder that came (the latest one when no number is given).",
    args=SnoozeArgs,
    risk=Risk.WRITE,
    run=snooze,
    describe=lambda a: f"snooze the reminder for {a.minutes} minutes",
)
DONE = Tool(
    name="reminders.done",
    description="Mark a reminder that came as done, so it stops asking.",
    args=ReminderArgs,
    risk=Risk.WRITE,
    run=done,
    describe=lambda a: "mark the reminder as done",
)
