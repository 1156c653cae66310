"""Events and their occurrences: recurrence by dateutil in the event's own timezone.

An occurrence keeps its wall-clock time across daylight-saving changes (the 08:00 football
stays at 08:00), and an all-day event always spans whole local days.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from dateutil import rrule as recurrence
from sqlmodel import col, select

from skills.calendar.models import CalendarEvent
from storage.database import SessionFactory

MAX_LOOKAHEAD = 5000
"""Occurrences skipped at most while looking for the next one (EXDATEs, a long past)."""


class RecurrenceError(ValueError):
    """A recurrence rule that cannot be used; the message says why."""


@dataclass(frozen=True)
class Occurrence:
    """One time an event happens, in the event's timezone."""

    event: CalendarEvent
    starts: datetime
    ends: datetime


def zone_of(event: CalendarEvent) -> ZoneInfo:
    return ZoneInfo(event.timezone)


def rule_of(event: CalendarEvent) -> recurrence.rrule | None:
    """The event's recurrence from its local start, or None for a one-off event."""
    if event.rrule is None:
        return None
    return parse_rule(event.rrule, event.starts_at.astimezone(zone_of(event)))


def parse_rule(text: str, local_start: datetime) -> recurrence.rrule:
    body = text.strip().removeprefix("RRULE:").strip()
    if not body or ":" in body or "\n" in body:
        raise RecurrenceError(f"“{text}” is not one recurrence rule such as FREQ=WEEKLY;BYDAY=MO")
    try:
        rule = recurrence.rrulestr(body, dtstart=local_start)
    except (ValueError, TypeError) as error:
        raise RecurrenceError(f"“{text}” is not a recurrence I understand ({error})") from None
    if not isinstance(rule, recurrence.rrule):
        raise RecurrenceError(f"“{text}” is not one recurrence rule")
    return rule


def _excluded(event: CalendarEvent) -> set[datetime]:
    return {datetime.fromisoformat(text).astimezone(UTC) for text in event.exdates}


def _end(event: CalendarEvent, start: datetime) -> datetime:
    """Where an occurrence starting at `start` ends: whole local days when all-day."""
    zone = zone_of(event)
    if event.all_day:
        first = event.starts_at.astimezone(zone).date()
        last = event.ends_at.astimezone(zone).date()
        return start + timedelta(days=max((last - first).days, 1))  # wall-clock days
    return (start.astimezone(UTC) + (event.ends_at - event.starts_at)).astimezone(zone)


def occurrences(event: CalendarEvent, since: datetime, until: datetime) -> list[Occurrence]:
    """The occurrences that overlap [since, until), earliest first."""
    zone = zone_of(event)
    rule = rule_of(event)
    length = event.ends_at - event.starts_at + timedelta(days=1)  # generous for DST days
    if rule is None:
        starts: Sequence[datetime] = [event.starts_at.astimezone(zone)]
    else:
        starts = rule.between(since.astimezone(zone) - length, until.astimezone(zone), inc=True)
    skipped = _excluded(event)
    found = []
    for start in starts:
        ends = _end(event, start)
        overlaps = start < until and (ends > since or start >= since)  # zero-length too
        if start.astimezone(UTC) in skipped or not overlaps:
            continue
        found.append(Occurrence(event, start, ends))
    return found


def starts_after(event: CalendarEvent, moment: datetime) -> Iterator[datetime]:
    """The event's occurrence starts strictly after `moment`, earliest first."""
    zone = zone_of(event)
    rule = rule_of(event)
    skipped = _excluded(event)
    if rule is None:
        start = event.starts_at.astimezone(zone)
        if start > moment:
            yield start
        return
    after = moment.astimezone(zone)
    for _ in range(MAX_LOOKAHEAD):
        start = rule.after(after)
        if start is None:
            return
        if start.astimezone(UTC) not in skipped:
            yield start
        after = start


def starts_at(event: CalendarEvent, moment: datetime) -> bool:
    """True when the event has an occurrence starting exactly at `moment`."""
    return any(
        occurrence.starts == moment
        for occurrence in occurrences(event, moment, moment + timedelta(seconds=1))
    )


def is_for(event: CalendarEvent, member_id: int) -> bool:
    return not event.members or member_id in event.members


class Events:
    """The calendar's rows: added, found, changed and removed."""

    def __init__(self, sessions: SessionFactory) -> None:
        self._sessions = sessions

    async def save(self, event: CalendarEvent) -> CalendarEvent:
        async with self._sessions() as session:
            session.add(event)
            await session.commit()
            await session.refresh(event)
            return event

    async def get(self, event_id: int) -> CalendarEvent | None:
        async with self._sessions() as session:
            return await session.get(CalendarEvent, event_id)

    async def by_uid(self, uid: str) -> CalendarEvent | None:
        async with self._sessions() as session:
            statement = select(CalendarEvent).where(CalendarEvent.uid == uid)
            return (await session.exec(statement)).first()

    async def all(self) -> list[CalendarEvent]:
        async with self._sessions() as session:
            statement = select(CalendarEvent).order_by(
                col(CalendarEvent.starts_at), col(CalendarEvent.id)
            )
            return list(await session.exec(statement))

    async def remove(self, event: CalendarEvent) -> None:
        async with self._sessions() as session:
            row = await session.get(CalendarEvent, event.id)
            if row is not None:
                await session.delete(row)
                await session.commit()

    async def between(self, since: datetime, until: datetime) -> list[Occurrence]:
        """Every occurrence of every event overlapping [since, until), in time order."""
        async with self._sessions() as session:
            statement = select(CalendarEvent).where(
                col(CalendarEvent.starts_at) < until,
                (col(CalendarEvent.rrule).is_not(None)) | (col(CalendarEvent.ends_at) > since),
            )
            rows = list(await session.exec(statement))
        found = [o for row in rows for o in occurrences(row, since, until)]
        return sorted(found, key=lambda o: (o.starts, not o.event.all_day, o.event.title))
