"""What the calendar says on its own: event alarms and each member's daily agenda.

An event's alarm is one job per (event, minutes before) that runs once, at the next alarm time;
after each firing it files itself again for the following occurrence. So EXDATEs, moves and
every RRULE the event has are honoured exactly, and a push uses the firing's key: a firing
dispatched twice (after a crash) never rings twice.
"""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator, Mapping
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from pydantic import SecretStr

from bot.family import Member
from bot.markdown import escape
from bot.messages import Reply
from bot.notify import MemberRecipient, NoChatForMember
from bot.scheduler import Firing
from bot.services import SkillServices
from bot.skills import JobKind
from skills.calendar import events
from skills.calendar.models import CalendarEvent
from skills.calendar.settings import CalendarSettings

ALARM = "alarm"
AGENDA = "daily_agenda"
FAMILY_WIDE_ROLES = ("parent", "adult")
"""Whose daily agenda shows the whole family's day; children and guests see their own."""


def alarm_key(event_id: int, minutes: int) -> str:
    return f"alarm-{event_id}-{minutes}"


def agenda_key(member_id: int) -> str:
    return f"agenda-{member_id}"


def household_zone(services: SkillServices) -> ZoneInfo:
    return ZoneInfo(services.household.timezone)


async def schedule_alarms(services: SkillServices, event: CalendarEvent) -> None:
    """Files (or refiles) the next alarm of each of the event's alarm times; drops old ones."""
    assert event.id is not None
    await cancel_alarms(services, event.id, keep=frozenset(event.alarms))
    for minutes in event.alarms:
        await _schedule_next(services, event, minutes, services.clock.now())


async def cancel_alarms(
    services: SkillServices, event_id: int, keep: frozenset[int] = frozenset()
) -> None:
    for job in await services.jobs.jobs():
        if job.kind != ALARM or job.payload.get("event_id") != event_id:
            continue
        if job.payload.get("minutes") not in keep:
            await services.jobs.cancel(job.key.removeprefix(f"{services.skill}:"))


async def _schedule_next(
    services: SkillServices, event: CalendarEvent, minutes: int, after: datetime
) -> None:
    """The first alarm of this kind after `after`, else the job ends."""
    assert event.id is not None
    settings = services.settings_as(CalendarSettings)
    before = timedelta(minutes=minutes)
    start = next(events.starts_after(event, after + before), None)
    key = alarm_key(event.id, minutes)
    if start is None:
        await services.jobs.cancel(key)
        return
    await services.jobs.schedule(
        ALARM,
        key,
        at=start.astimezone(UTC) - before,  # real minutes, also on a DST night
        payload={"event_id": event.id, "minutes": minutes},
        catch_up=timedelta(minutes=settings.alarm_catch_up_minutes),
    )


async def recipients(services: SkillServices, event: CalendarEvent) -> list[Member]:
    """The members an event is for (everyone when it names nobody)."""
    members = await services.family.members()
    return [member for member in members if events.is_for(event, member.id)]


async def _push(services: SkillServices, member: Member, text: str, key: str) -> None:
    try:
        await services.notify.push(MemberRecipient(member.id), Reply(text=text), key=key)
    except NoChatForMember as error:
        services.log.warning("calendar push not sent: %s", error)


def late_note(firing: Firing, zone: ZoneInfo) -> str:
    if firing.status != "late":
        return ""
    return f" (late: was due {firing.occurrence.astimezone(zone):%H:%M})"


def alarm_text(event: CalendarEvent, start: datetime, minutes: int) -> str:
    title = escape(event.title)
    if event.all_day:
        text = f"⏰ {title} on {start:%a %d %b} (all day)"
    else:
        text = f"⏰ {title} at {start:%H:%M}"
        if minutes:
            text += f" (in {_duration(minutes)})"
    if event.location:
        text += f" — {escape(event.location)}"
    return text


def _duration(minutes: int) -> str:
    if minutes % 1440 == 0:
        days = minutes // 1440
        return f"{days} day" + ("s" if days > 1 else "")
    if minutes % 60 == 0:
        hours = minutes // 60
        return f"{hours} hour" + ("s" if hours > 1 else "")
    return f"{minutes} min"


async def ring_alarm(services: SkillServices, firing: Firing) -> None:
    """Pushes the alarm to everyone the event is for, then files the next one."""
    event = await events.Events(services.sessions).get(int(firing.payload["event_id"]))
    minutes = int(firing.payload["minutes"])
    if event is None or minutes not in event.alarms:
        return
    start = (firing.occurrence + timedelta(minutes=minutes)).astimezone(events.zone_of(event))
    if firing.status == "missed":
        services.log.info("alarm for event %s at %s missed while offline", event.id, start)
    elif events.starts_at(event, start):
        text = alarm_text(event, start, minutes) + late_note(firing, events.zone_of(event))
        for member in await recipients(services, event):
            await _push(services, member, text, f"{firing.key}:{member.id}")
    settings = services.settings_as(CalendarSettings)
    oldest_worth_ringing = services.clock.now() - timedelta(
        minutes=settings.alarm_catch_up_minutes
    )
    await _schedule_next(services, event, minutes, max(firing.occurrence, oldest_worth_ringing))


def agenda_line(occurrence: events.Occurrence, names: Mapping[int, str]) -> str:
    """'08:00 dentist (Lena)' or 'all day: school trip'."""
    event = occurrence.event
    title = escape(event.title)
    line = f"all day: {title}" if event.all_day else f"{occurrence.starts:%H:%M} {title}"
    shown = [escape(names[m]) for m in event.members if m in names]
    if shown:
        line += f" ({', '.join(shown)})"
    return line


async def push_agenda(services: SkillServices, firing: Firing) -> None:
    """'Today: 08:00 dentist (Lena), 17:30 football' — nothing on a day with nothing on.

    Parents and adults see the whole family's day; a child sees what is theirs or everyone's.
    """
    if firing.member_id is None or firing.status == "missed":
        return
    zone = household_zone(services)
    day = firing.occurrence.astimezone(zone).date()
    since = datetime.combine(day, datetime.min.time(), zone)
    until = datetime.combine(day + timedelta(days=1), datetime.min.time(), zone)
    members = await services.family.members()
    member = next((m for m in members if m.id == firing.member_id), None)
    if member is None:
        return
    names = {m.id: m.name for m in members}
    sees_all = member.role in FAMILY_WIDE_ROLES
    today = [
        occurrence
        for occurrence in await events.Events(services.sessions).between(since, until)
        if sees_all or events.is_for(occurrence.event, member.id)
    ]
    if not today:
        return
    text = "Today: " + ", ".join(agenda_line(o, names) for o in today)
    await _push(services, member, text + late_note(firing, zone), firing.key)


async def schedule_daily_agendas(services: SkillServices) -> None:
    """One daily job per member who wants the agenda; an unchanged job keeps its next run,
    so an agenda due while the bot was down still comes (late) when it starts again."""
    settings = services.settings_as(CalendarSettings)
    hour, minute = settings.agenda_clock
    rule = f"FREQ=DAILY;BYHOUR={hour};BYMINUTE={minute}"
    filed = {job.key: job for job in await services.jobs.jobs() if job.kind == AGENDA}
    for member in await services.family.members():
        key = agenda_key(member.id)
        if not settings.gets_agenda(member.name):
            await services.jobs.cancel(key)
            continue
        known = filed.get(services.jobs.key(key))
        if known is not None and known.rrule == rule:
            continue
        await services.jobs.schedule(
            AGENDA,
            key,
            rrule=rule,
            member_id=member.id,
            catch_up=timedelta(minutes=settings.agenda_catch_up_minutes),
        )


@contextlib.asynccontextmanager
async def keep_calendar(
    services: SkillServices, _secrets: Mapping[str, SecretStr]
) -> AsyncIterator[None]:
    """Files each member's daily agenda at start-up (alarms are filed with their events)."""
    await schedule_daily_agendas(services)
    yield


ALARMS = JobKind(ALARM, ring_alarm)
DAILY_AGENDA = JobKind(AGENDA, push_agenda)
