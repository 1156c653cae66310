"""Reading and changing reminders and their occurrences; each function is one transaction."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta

from sqlalchemy.exc import IntegrityError
from sqlmodel import col, or_, select

from bot.services import SkillServices
from skills.reminders.models import Reminder, ReminderOccurrence

OPEN = ("sent", "snoozed")
"""Occurrences still waiting for someone to say they are done."""
RECENT = timedelta(days=1)
"""Finished reminders stay in the list this long, so a missed one shows as missed."""


def due_job(reminder_id: int) -> str:
    return f"reminder-{reminder_id}"


def nag_job(occurrence_id: int) -> str:
    return f"nag-{occurrence_id}"


def snooze_job(occurrence_id: int) -> str:
    return f"snooze-{occurrence_id}"


def missed_job(member_id: int) -> str:
    return f"missed-{member_id}"


async def add(services: SkillServices, reminder: Reminder) -> Reminder:
    async with services.sessions() as session:
        session.add(reminder)
        await session.commit()
    return reminder


async def get(services: SkillServices, reminder_id: int) -> Reminder | None:
    async with services.sessions() as session:
        return await session.get(Reminder, reminder_id)


async def occurrence(
    services: SkillServices, occurrence_id: int
) -> tuple[ReminderOccurrence, Reminder] | None:
    async with services.sessions() as session:
        row = await session.get(ReminderOccurrence, occurrence_id)
        if row is None:
            return None
        reminder = await session.get(Reminder, row.reminder_id)
        return (row, reminder) if reminder is not None else None


async def latest_open(
    services: SkillServices, member_id: int, reminder_id: int | None
) -> ReminderOccurrence | None:
    """The member's most recently sent occurrence still open (of one reminder, when given)."""
    statement = (
        select(ReminderOccurrence)
        .join(Reminder, col(Reminder.id) == col(ReminderOccurrence.reminder_id))
        .where(col(ReminderOccurrence.state).in_(OPEN), Reminder.member_id == member_id)
        .order_by(col(ReminderOccurrence.sent_at).desc(), col(ReminderOccurrence.id).desc())
    )
    if reminder_id is not None:
        statement = statement.where(ReminderOccurrence.reminder_id == reminder_id)
    async with services.sessions() as session:
        return (await session.exec(statement)).first()


async def record_firing(
    services: SkillServices, reminder_id: int, due_at: datetime, state: str, late_by: timedelta
) -> ReminderOccurrence:
    """The occurrence for this firing, created once; a firing dispatched again finds it."""
    now = services.clock.now()
    async with services.sessions() as session:
        row = (
            await session.exec(
                select(ReminderOccurrence).where(
                    ReminderOccurrence.reminder_id == reminder_id,
                    ReminderOccurrence.due_at == due_at,
                )
            )
        ).first()
        if row is not None:
            return row
        row = ReminderOccurrence(
            reminder_id=reminder_id,
            due_at=due_at,
            state=state,
            late_by_s=round(late_by.total_seconds()),
            sent_at=now if state == "sent" else None,
            settled_at=now if state == "missed" else None,
        )
        session.add(row)
        try:
            await session.commit()
        except IntegrityError:
            await session.rollback()
            found = (
                await session.exec(
                    select(ReminderOccurrence).where(
                        ReminderOccurrence.reminder_id == reminder_id,
                        ReminderOccurrence.due_at == due_at,
                    )
                )
            ).one()
            return found
        return row


async def save(services: SkillServices, *rows: Reminder | ReminderOccurrence) -> None:
    async with services.sessions() as session:
        for row in rows:
            session.add(row)
        await session.commit()


async def untold_missed(
    services: SkillServices, member_id: int
) -> list[tuple[ReminderOccurrence, Reminder]]:
    """Occurrences missed while Gepeto was offline that the member has not heard about."""
    statement = (
        select(ReminderOccurrence, Reminder)
        .join(Reminder, col(Reminder.id) == col(ReminderOccurrence.reminder_id))
        .where(
            ReminderOccurrence.state == "missed",
            col(ReminderOccurrence.missed_told).is_(False),
            Reminder.member_id == member_id,
        )
        .order_by(col(ReminderOccurrence.due_at))
    )
    async with services.sessions() as session:
        return [(row, reminder) for row, reminder in await session.exec(statement)]


async def mark_told(services: SkillServices, occurrence_ids: Sequence[int]) -> None:
    async with services.sessions() as session:
        for occurrence_id in occurrence_ids:
            row = await session.get(ReminderOccurrence, occurrence_id)
            if row is not None:
                row.missed_told = True
                session.add(row)
        await session.commit()


async def listed(
    services: SkillServices, member_id: int
) -> list[tuple[Reminder, ReminderOccurrence | None]]:
    """The reminders for or by the member that are active or ended recently, with their
    latest occurrence."""
    since = services.clock.now() - RECENT
    async with services.sessions() as session:
        reminders = list(
            await session.exec(
                select(Reminder)
                .where(
                    or_(Reminder.member_id == member_id, Reminder.created_by == member_id),
                    Reminder.state != "cancelled",
                )
                .order_by(col(Reminder.id))
            )
        )
        found: list[tuple[Reminder, ReminderOccurrence | None]] = []
        for reminder in reminders:
            latest = (
                await session.exec(
                    select(ReminderOccurrence)
                    .where(ReminderOccurrence.reminder_id == reminder.id)
                    .order_by(col(ReminderOccurrence.due_at).desc())
                    .limit(1)
                )
            ).first()
            if reminder.state == "active" or (latest is not None and latest.due_at >= since):
                found.append((reminder, latest))
        return found
