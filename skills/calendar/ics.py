"""iCalendar files: the family calendar out (`gepeto calendar export`) and in (`import`).

RRULE, EXDATE, alarms and each event's timezone survive a round trip; who an event is for
travels as `X-GEPETO-FOR` (member names), which other calendar programs simply ignore.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from bot.services import SkillServices
from skills.calendar import events, pushes
from skills.calendar.models import CalendarEvent

PRODUCT = "-//Gepeto//Family calendar//EN"
FOR_PROPERTY = "X-GEPETO-FOR"
UNTIL = re.compile(r"UNTIL=(\d{8})(?:T(\d{6}))?(Z?)", re.IGNORECASE)


class CalendarFileError(ValueError):
    """A file that is not a calendar Gepeto can read; the message says why."""


@dataclass(frozen=True)
class ImportReport:
    added: int
    updated: int


def export(rows: Iterable[CalendarEvent], names: dict[int, str]) -> bytes:
    from icalendar import Alarm, Calendar, Event, vRecur  # ≈0.1 s: only for a file

    calendar = Calendar()
    calendar.add("prodid", PRODUCT)
    calendar.add("version", "2.0")
    for row in rows:
        zone = events.zone_of(row)
        start = row.starts_at.astimezone(zone)
        end = row.ends_at.astimezone(zone)
        entry = Event()
        entry.add("uid", row.uid)
        entry.add("summary", row.title)
        entry.add("dtstamp", row.updated_at)
        entry.add("dtstart", start.date() if row.all_day else start)
        entry.add("dtend", end.date() if row.all_day else end)
        if row.rrule:
            entry.add("rrule", vRecur.from_ical(row.rrule))
        for text in row.exdates:
            skipped = datetime.fromisoformat(text).astimezone(zone)
            entry.add("exdate", skipped.date() if row.all_day else skipped)
        if row.location:
            entry.add("location", row.location)
        whom = [names[m] for m in row.members if m in names]
        if whom:
            entry.add(FOR_PROPERTY, ",".join(whom))
        for minutes in row.alarms:
            alarm = Alarm()
            alarm.add("action", "DISPLAY")
            alarm.add("description", row.title)
            alarm.add("trigger", timedelta(minutes=-minutes))
            entry.add_component(alarm)
        calendar.add_component(entry)
    calendar.add_missing_timezones()
    return bytes(calendar.to_ical())


def _local(value: date | datetime, zone: ZoneInfo) -> tuple[datetime, ZoneInfo]:
    """A DTSTART-like value as a local time and the zone it lives in (floating: `zone`)."""
    if not isinstance(value, datetime):
        return datetime.combine(value, time(), zone), zone
    if value.tzinfo is None:
        return value.replace(tzinfo=zone), zone
    if isinstance(value.tzinfo, ZoneInfo):
        return value, value.tzinfo
    if value.utcoffset() == timedelta(0):
        utc = ZoneInfo("UTC")
        return value.astimezone(utc), utc
    return value.astimezone(zone), zone


def _rule(recur: Any, zone: ZoneInfo) -> str:
    """The RRULE text, with a date or floating UNTIL made UTC (as dateutil needs)."""
    text = bytes(recur.to_ical()).decode()

    def utc_until(found: re.Match[str]) -> str:
        if found[3]:
            return found[0].upper()
        day = datetime.strptime(found[1], "%Y%m%d")
        clock = datetime.strptime(found[2], "%H%M%S").time() if found[2] else time(23, 59, 59)
        moment = datetime.combine(day.date(), clock, zone).astimezone(UTC)
        return f"UNTIL={moment:%Y%m%dT%H%M%SZ}"

    return UNTIL.sub(utc_until, text).upper()


def _exdates(component: Any, start: datetime, zone: ZoneInfo) -> list[str]:
    found = component.get("exdate")
    if found is None:
        return []
    lists = found if isinstance(found, list) else [found]
    skipped = []
    for listed in lists:
        for value in listed.dts:
            moment = value.dt
            if not isinstance(moment, datetime):
                moment = datetime.combine(moment, start.timetz().replace(tzinfo=None), zone)
            elif moment.tzinfo is None:
                moment = moment.replace(tzinfo=zone)
            skipped.append(moment.astimezone(UTC).isoformat())
    return skipped


def _alarms(component: Any) -> list[int]:
    minutes: set[int] = set()
    for alarm in component.walk("VALARM"):
        try:
            trigger = alarm.decoded("trigger")
        except KeyError:
            continue
        if isinstance(trigger, timedelta) and trigger <= timedelta(0):
            minutes.add(round(-trigger.total_seconds() / 60))
    return sorted(minutes, reverse=True)


def read(
    data: bytes, zone: ZoneInfo, members: dict[str, int], now: datetime
) -> list[CalendarEvent]:
    """The VEVENTs of a file as (unsaved) events; times without a zone are household time."""
    from icalendar import Calendar

    try:
        calendar = Calendar.from_ical(data)
    except ValueError as error:
        raise CalendarFileError(f"this is not an iCalendar file ({error})") from None
    found: list[CalendarEvent] = []
    for component in calendar.walk("VEVENT"):
        if component.get("recurrence-id") is not None:
            continue  # a changed single occurrence: kept by its series' EXDATE-free rule
        try:
            raw_start = component.decoded("dtstart")
        except KeyError:
            raise CalendarFileError("an event in it has no start (DTSTART)") from None
        all_day = not isinstance(raw_start, datetime)
        start, event_zone = _local(raw_start, zone)
        if component.get("dtend") is not None:
            end, _ = _local(component.decoded("dtend"), event_zone)
        elif component.get("duration") is not None:
            end = start + component.decoded("duration")
        else:
            end = start + (timedelta(days=1) if all_day else timedelta(0))
        recur = component.get("rrule")
        whom = str(component.get(FOR_PROPERTY, ""))
        found.append(
            CalendarEvent(
                uid=str(component.get("uid") or f"{uuid.uuid4()}@gepeto"),
                title=" ".join(str(component.get("summary", "(no title)")).split())[:200],
                starts_at=start.astimezone(UTC),
                ends_at=max(end, start).astimezone(UTC),
                all_day=all_day,
                timezone=event_zone.key,
                rrule=_rule(recur, event_zone) if recur is not None else None,
                exdates=_exdates(component, start, event_zone),
                members=[
                    members[name.strip().casefold()]
                    for name in whom.split(",")
                    if name.strip().casefold() in members
                ],
                location=" ".join(str(component["location"]).split())[:200]
                if component.get("location")
                else None,
                alarms=_alarms(component),
                created_at=now,
                updated_at=now,
            )
        )
    return found


async def import_file(services: SkillServices, data: bytes) -> ImportReport:
    """Adds the file's events, updating those already imported (same UID)."""
    now = services.clock.now()
    family = await services.family.members()
    members = {member.name.casefold(): member.id for member in family}
    store = events.Events(services.sessions)
    added = updated = 0
    for incoming in read(data, pushes.household_zone(services), members, now):
        if incoming.rrule is not None:
            try:
                events.parse_rule(
                    incoming.rrule, incoming.starts_at.astimezone(events.zone_of(incoming))
                )
            except events.RecurrenceError as error:
                raise CalendarFileError(f"“{incoming.title}”: {error}") from None
        known = await store.by_uid(incoming.uid)
        if known is None:
            row = incoming
            added += 1
        else:
            values = incoming.model_dump(exclude={"id", "created_at", "created_by"})
            row = known.sqlmodel_update(values)
            updated += 1
        saved = await store.save(row)
        await pushes.schedule_alarms(services, saved)
    return ImportReport(added=added, updated=updated)


async def export_all(services: SkillServices) -> bytes:
    names = {member.id: member.name for member in await services.family.members()}
    return export(await events.Events(services.sessions).all(), names)
