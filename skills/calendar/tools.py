"""The calendar tools: add, show, remove and move the family's events."""

from __future__ import annotations

import asyncio
import re
import uuid
from datetime import UTC, date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from pydantic import BaseModel, Field, field_validator

from bot.markdown import escape
from bot.tools import Risk, Tool, ToolContext, ToolError, ToolResult
from skills.calendar import caldav, events, pushes, when
from skills.calendar.models import CalendarEvent
from skills.calendar.settings import CalendarSettings

EVENT_NUMBER = re.compile(r"^#?(\d{1,9})$")
DEFAULT_LENGTH = timedelta(hours=1)


class AddEventArgs(BaseModel):
    title: str = Field(min_length=1, max_length=200, description="what happens, e.g. dentist")
    when: str = Field(
        description="when it starts, as the member said it: 'friday at 10', 'tomorrow', "
        "'2026-03-29 07:30'; a day without a time makes an all-day event"
    )
    ends: str | None = Field(default=None, description="when it ends; default an hour later")
    all_day: bool = False
    repeat: str | None = Field(
        default=None, description="an RFC 5545 RRULE, e.g. FREQ=WEEKLY;BYDAY=TU"
    )
    for_members: list[str] = Field(
        default_factory=list, description="names of the members it is for; empty: everyone"
    )
    location: str | None = Field(default=None, max_length=200)
    alarms: list[int] | None = Field(
        default=None, description="minutes before it starts to remind; default from settings"
    )

    @field_validator("title")
    @classmethod
    def _one_line(cls, value: str) -> str:
        cleaned = " ".join(value.split())
        if not cleaned:
            raise ValueError("an event needs a title")
        return cleaned

    @field_validator("alarms")
    @classmethod
    def _minutes(cls, value: list[int] | None) -> list[int] | None:
        if value is not None and any(m < 0 or m > 7 * 24 * 60 for m in value):
            raise ValueError("alarms are minutes before the event, from 0 to 10080 (a week)")
        return None if value is None else sorted(set(value), reverse=True)


class AgendaArgs(BaseModel):
    day: str = Field(default="today", description="'today', 'tomorrow', 'friday', a date")
    days: int = Field(default=1, ge=1, le=31, description="how many days from that day")


class EventArgs(BaseModel):
    event: str = Field(
        min_length=1, description="the event's title, or its number from the agenda (#12)"
    )


class RemoveEventArgs(EventArgs):
    on: str | None = Field(
        default=None, description="only the occurrence on this day (of a repeating event)"
    )


class MoveEventArgs(EventArgs):
    to: str = Field(description="its new start, e.g. 'friday at 11' or 'next monday'")


def _zone(ctx: ToolContext) -> ZoneInfo:
    return pushes.household_zone(ctx.services)


async def _read(text: str, now: datetime, ctx: ToolContext) -> when.Moment:
    try:
        return await asyncio.to_thread(when.read, text, now, _zone(ctx))
    except when.UnclearDate as error:
        raise ToolError(str(error)) from None


def real_time(local: datetime) -> datetime:
    """A wall-clock time that exists: 02:30 on the night clocks go forward is 03:30."""
    return local.astimezone(UTC).astimezone(local.tzinfo)


def later(local: datetime, length: timedelta) -> datetime:
    """`length` of real time after `local` (wall-clock arithmetic would lose a DST hour)."""
    return (local.astimezone(UTC) + length).astimezone(local.tzinfo)


def day_label(day: date, today: date) -> str:
    if day == today:
        return "today"
    if day == today + timedelta(days=1):
        return "tomorrow"
    return f"{day:%a %d %b}"


def shown_time(event: CalendarEvent, start: datetime, today: date) -> str:
    """'today at 10:00–11:00', 'Sat 10 Jan (all day)', '…, every week'."""
    local_end = events.occurrences(event, start, start + timedelta(seconds=1))
    if event.all_day:
        text = f"{day_label(start.date(), today)} (all day)"
    else:
        text = f"{day_label(start.date(), today)} at {start:%H:%M}"
        if local_end:
            text += f"–{local_end[0].ends:%H:%M}"
    if event.rrule:
        text += f", repeating ({escape(event.rrule)})"
    return text


async def _member_ids(ctx: ToolContext, names: list[str]) -> list[int]:
    ids: list[int] = []
    for name in names:
        member = await ctx.services.family.find(name.strip())
        if member is None:
            raise ToolError(f"There is nobody called {escape(name)} in the family.")
        if member.id not in ids:
            ids.append(member.id)
    return ids


def _event_data(event: CalendarEvent, names: dict[int, str]) -> dict[str, Any]:
    return {
        "id": event.id,
        "title": event.title,
        "starts": event.starts_at.astimezone(events.zone_of(event)).isoformat(),
        "ends": event.ends_at.astimezone(events.zone_of(event)).isoformat(),
        "all_day": event.all_day,
        "repeat": event.rrule,
        "for": [names[m] for m in event.members if m in names] or ["everyone"],
        "location": event.location,
        "alarms_minutes_before": event.alarms,
    }


async def _names(ctx: ToolContext) -> dict[int, str]:
    return {member.id: member.name for member in await ctx.services.family.members()}


def _for_whom(event: CalendarEvent, names: dict[int, str]) -> str:
    shown = [escape(names[m]) for m in event.members if m in names]
    return f" (for {', '.join(shown)})" if shown else ""


async def add_event(ctx: ToolContext, args: AddEventArgs) -> ToolResult:
    services = ctx.services
    settings = services.settings_as(CalendarSettings)
    zone = _zone(ctx)
    now = services.clock.now()
    moment = await _read(args.when, now, ctx)
    all_day = args.all_day or not moment.has_time
    if all_day:
        start = moment.local.replace(hour=0, minute=0, second=0, microsecond=0)
        end = start + timedelta(days=1)
        if args.ends:
            last = (await _read(args.ends, start, ctx)).local
            end = last.replace(hour=0, minute=0) + timedelta(days=1)
    else:
        start = real_time(moment.local)
        end = later(start, DEFAULT_LENGTH)
        if args.ends:
            end = real_time((await _read(args.ends, start, ctx)).local)
    if end <= start:
        raise ToolError("The event would end before it starts; when does it end?")
    rule = None
    if args.repeat:
        try:
            events.parse_rule(args.repeat, start)
        except events.RecurrenceError as error:
            raise ToolError(escape(str(error))) from None
        rule = args.repeat.strip().removeprefix("RRULE:").upper()
    default_alarms = [] if all_day else settings.default_alarms
    event = CalendarEvent(
        uid=f"{uuid.uuid4()}@gepeto",
        title=args.title,
        starts_at=start.astimezone(UTC),
        ends_at=end.astimezone(UTC),
        all_day=all_day,
        timezone=zone.key,
        rrule=rule,
        members=await _member_ids(ctx, args.for_members),
        location=" ".join(args.location.split()) if args.location else None,
        alarms=default_alarms if args.alarms is None else args.alarms,
        created_by=ctx.member.id,
        created_at=now,
        updated_at=now,
    )
    event = await events.Events(services.sessions).save(event)
    await pushes.schedule_alarms(services, event)
    await caldav.sync_soon(services)
    names = await _names(ctx)
    today = now.astimezone(zone).date()
    text = f"Added {escape(event.title)}: {shown_time(event, start, today)}"
    text += _for_whom(event, names)
    if event.location:
        text += f", at {escape(event.location)}"
    return ToolResult(text=text + ".", data=_event_data(event, names))


async def agenda(ctx: ToolContext, args: AgendaArgs) -> ToolResult:
    zone = _zone(ctx)
    now = ctx.services.clock.now()
    first = (await _read(args.day, now, ctx)).local.date()
    today = now.astimezone(zone).date()
    names = await _names(ctx)
    blocks: list[str] = []
    listed: list[dict[str, Any]] = []
    for offset in range(args.days):
        day = first + timedelta(days=offset)
        since = datetime.combine(day, datetime.min.time(), zone)
        until = datetime.combine(day + timedelta(days=1), datetime.min.time(), zone)
        found = await events.Events(ctx.services.sessions).between(since, until)
        label = day_label(day, today)
        if not found:
            if args.days == 1:
                blocks.append(f"Nothing on {label}.")
            continue
        named = label in ("today", "tomorrow")
        lines = [f"**{label.capitalize()}, {day:%a %d %b}**" if named else f"**{label}**"]
        for occurrence in found:
            lines.append(f"- #{occurrence.event.id} {_agenda_line(occurrence, names, since)}")
            listed.append(
                _event_data(occurrence.event, names)
                | {"day": day.isoformat(), "at": occurrence.starts.isoformat()}
            )
        blocks.append("\n".join(lines))
    if not blocks:
        blocks.append(f"Nothing on from {day_label(first, today)} for {args.days} days.")
    return ToolResult(text="\n\n".join(blocks), data={"events": listed})


def _agenda_line(occurrence: events.Occurrence, names: dict[int, str], day: datetime) -> str:
    event = occurrence.event
    if event.all_day or (occurrence.starts <= day and occurrence.ends >= day + timedelta(1)):
        line = f"all day: {escape(event.title)}"
    else:
        line = f"{occurrence.starts:%H:%M}–{occurrence.ends:%H:%M} {escape(event.title)}"
    shown = [escape(names[m]) for m in event.members if m in names]
    if shown:
        line += f" ({', '.join(shown)})"
    if event.location:
        line += f" — {escape(event.location)}"
    return line


async def find_event(ctx: ToolContext, text: str) -> CalendarEvent:
    """The event a member means, by its number or its title; a question when unclear."""
    store = events.Events(ctx.services.sessions)
    number = EVENT_NUMBER.match(text.strip())
    if number:
        found = await store.get(int(number[1]))
        if found is None:
            raise ToolError(f"There is no event #{number[1]} in the calendar.")
        return found
    wanted = " ".join(text.split()).casefold()
    every = await store.all()
    matches = [e for e in every if e.title.casefold() == wanted] or [
        e for e in every if wanted in e.title.casefold()
    ]
    if not matches:
        raise ToolError(f"I found no event called “{escape(text)}” in the calendar.")
    if len(matches) > 1:
        now = ctx.services.clock.now()
        today = now.astimezone(_zone(ctx)).date()
        choices = "; ".join(
            f"#{e.id} {escape(e.title)} ({day_label(_first_day(e), today)})" for e in matches[:5]
        )
        raise ToolError(f"Which one do you mean? {choices}")
    return matches[0]


def _first_day(event: CalendarEvent) -> date:
    return event.starts_at.astimezone(events.zone_of(event)).date()


async def remove_event(ctx: ToolContext, args: RemoveEventArgs) -> ToolResult:
    event = await find_event(ctx, args.event)
    assert event.id is not None
    store = events.Events(ctx.services.sessions)
    title = escape(event.title)
    if args.on is None:
        await store.remove(event)
        await pushes.cancel_alarms(ctx.services, event.id)
        await caldav.sync_soon(ctx.services)
        return ToolResult(text=f"Removed {title} from the calendar.", data={"removed": event.id})
    zone = events.zone_of(event)
    day = (await _read(args.on, ctx.services.clock.now(), ctx)).local.date()
    since = datetime.combine(day, datetime.min.time(), zone)
    found = events.occurrences(event, since, since + timedelta(days=1))
    if not found:
        raise ToolError(f"{title} is not on {day:%a %d %b}.")
    event.exdates = [*event.exdates, *(o.starts.astimezone(UTC).isoformat() for o in found)]
    event.updated_at = ctx.services.clock.now()
    event = await store.save(event)
    await pushes.schedule_alarms(ctx.services, event)
    await caldav.sync_soon(ctx.services)
    return ToolResult(
        text=f"Removed {title} on {day:%a %d %b}; the other days stay.",
        data={"removed": event.id, "on": day.isoformat()},
    )


def _shifted(exdate: str, shift: timedelta, zone: ZoneInfo) -> str:
    """A skipped day moves with its series, by the same wall-clock shift."""
    local = datetime.fromisoformat(exdate).astimezone(zone).replace(tzinfo=None) + shift
    return local.replace(tzinfo=zone).astimezone(UTC).isoformat()


async def move_event(ctx: ToolContext, args: MoveEventArgs) -> ToolResult:
    event = await find_event(ctx, args.event)
    zone = events.zone_of(event)
    now = ctx.services.clock.now()
    moment = await _read(args.to, now, ctx)
    old_start = event.starts_at.astimezone(zone)
    if event.all_day and not moment.has_time:
        days = (moment.local.date() - old_start.date()).days
        start = old_start + timedelta(days=days)  # wall-clock: stays at midnight
        end = event.ends_at.astimezone(zone) + timedelta(days=days)
    else:
        start = moment.local.astimezone(zone)
        if not moment.has_time:
            start = start.replace(hour=old_start.hour, minute=old_start.minute)
        start = real_time(start)
        length = DEFAULT_LENGTH if event.all_day else event.ends_at - event.starts_at
        end = later(start, length)
        event.all_day = False
    shift = start.replace(tzinfo=None) - old_start.replace(tzinfo=None)
    event.exdates = [_shifted(text, shift, zone) for text in event.exdates]
    event.starts_at = start.astimezone(UTC)
    event.ends_at = end.astimezone(UTC)
    event.updated_at = now
    event = await events.Events(ctx.services.sessions).save(event)
    await pushes.schedule_alarms(ctx.services, event)
    await caldav.sync_soon(ctx.services)
    today = now.astimezone(zone).date()
    names = await _names(ctx)
    return ToolResult(
        text=f"Moved {escape(event.title)} to {shown_time(event, start, today)}.",
        data=_event_data(event, names),
    )


def _describe_add(args: AddEventArgs) -> str:
    return f"add “{args.title}” ({args.when}) to the calendar"


ADD_EVENT = Tool(
    name="calendar.add_event",
    description="Add an event to the family calendar (one-off, all-day or repeating).",
    args=AddEventArgs,
    risk=Risk.WRITE,
    run=add_event,
    describe=_describe_add,
    idempotent=False,
)
AGENDA = Tool(
    name="calendar.agenda",
    description="Show what is on the family calendar for a day or a few days.",
    args=AgendaArgs,
    risk=Risk.READ,
    run=agenda,
    untrusted_output=True,
)
REMOVE_EVENT = Tool(
    name="calendar.remove_event",
    description="Remove an event from the family calendar, or one day of a repeating one.",
    args=RemoveEventArgs,
    risk=Risk.WRITE,
    run=remove_event,
    describe=lambda a: f"remove “{a.event}” from the calendar" + (f" on {a.on}" if a.on else ""),
)
MOVE_EVENT = Tool(
    name="calendar.move_event",
    description="Move an event of the family calendar to a new day or time.",
    args=MoveEventArgs,
    risk=Risk.WRITE,
    run=move_event,
    describe=lambda a: f"move “{a.event}” to {a.to}",
)
