"""Chores' turns: who gets the next one, finishing one, and moving on when a day passes.

Every occurrence of a chore becomes one `ChoreTurn`, given to a member when it is created: at
once for the first, when the previous one is done (the rotation advances on completion), or when
its time comes while the previous one is still open (that one is then `missed`, and the rotation
does not advance: it is still that member's turn).
"""

from __future__ import annotations

from collections import defaultdict
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy.exc import IntegrityError
from sqlmodel import col, func, select

from bot.family import Member
from bot.services import SkillServices
from skills.chores import repeats
from skills.chores.models import Absence, Chore, ChoreMember, ChoreTurn
from skills.chores.rotation import Candidate, choose
from skills.chores.settings import ChoresSettings

ROLLED_STATES = ("done", "awaiting", "declined")
"""Turns that move the rotation on: someone did them (approved or not yet)."""
ROLL_CATCH_UP = timedelta(days=366)
"""A new occurrence is always given out, however long Gepeto was offline."""


def settings(services: SkillServices) -> ChoresSettings:
    return services.settings_as(ChoresSettings)


def zone(services: SkillServices) -> ZoneInfo:
    return ZoneInfo(services.household.timezone)


def local_day(services: SkillServices, when: datetime) -> date:
    return when.astimezone(zone(services)).date()


def due_minute(services: SkillServices, chore: Chore) -> int:
    if chore.due_minute is not None:
        return chore.due_minute
    due = settings(services).due_time
    return due.hour * 60 + due.minute


async def save(services: SkillServices, *rows: object) -> None:
    async with services.sessions() as session:
        for row in rows:
            session.add(row)
        await session.commit()


async def chore(services: SkillServices, chore_id: int) -> Chore | None:
    async with services.sessions() as session:
        return await session.get(Chore, chore_id)


async def turn(services: SkillServices, turn_id: int) -> tuple[ChoreTurn, Chore] | None:
    async with services.sessions() as session:
        found = await session.get(ChoreTurn, turn_id)
        owner = None if found is None else await session.get(Chore, found.chore_id)
        return None if found is None or owner is None else (found, owner)


async def taking_part(services: SkillServices, chore_id: int) -> list[int]:
    """The members of a chore, in its fixed order."""
    async with services.sessions() as session:
        rows = await session.exec(
            select(ChoreMember.member_id)
            .where(ChoreMember.chore_id == chore_id)
            .order_by(col(ChoreMember.position), col(ChoreMember.id))
        )
        return list(rows)


async def current_turns(
    services: SkillServices, *, states: tuple[str, ...] = ("open",)
) -> list[tuple[ChoreTurn, Chore]]:
    """Turns in these states of the active chores, soonest first."""
    async with services.sessions() as session:
        rows = await session.exec(
            select(ChoreTurn, Chore)
            .join(Chore, col(Chore.id) == col(ChoreTurn.chore_id))
            .where(col(ChoreTurn.state).in_(states), col(Chore.active))
            .order_by(col(ChoreTurn.due_at), col(ChoreTurn.id))
        )
        return [(found, owner) for found, owner in rows]


async def points_since(services: SkillServices, since: datetime) -> dict[int, int]:
    """Effort points earned (approved) per member since `since`, summed in SQL."""
    async with services.sessions() as session:
        rows = await session.exec(
            select(ChoreTurn.done_by, func.sum(ChoreTurn.points))
            .where(ChoreTurn.state == "done", col(ChoreTurn.done_at) >= since)
            .group_by(col(ChoreTurn.done_by))
        )
        return {member: int(total) for member, total in rows if member is not None}


async def absences(services: SkillServices, member_ids: list[int]) -> dict[int, list[Absence]]:
    async with services.sessions() as session:
        rows = await session.exec(select(Absence).where(col(Absence.member_id).in_(member_ids)))
        found: dict[int, list[Absence]] = defaultdict(list)
        for row in rows:
            found[row.member_id].append(row)
        return found


def away_on(periods: list[Absence], day: date) -> Absence | None:
    return next((a for a in periods if a.starts_on <= day <= a.until), None)


def _days_away(periods: list[Absence], first: date, last: date) -> int:
    days = set()
    for absence in periods:
        start, end = max(first, absence.starts_on), min(last, absence.until)
        days |= {start + timedelta(days=n) for n in range((end - start).days + 1)}
    return len(days)


async def candidates(services: SkillServices, owner: Chore, due_at: datetime) -> list[Candidate]:
    """The members taking part, as the rotation should see them for a turn due `due_at`."""
    assert owner.id is not None
    ids = await taking_part(services, owner.id)
    window = settings(services).points_window_days
    now = services.clock.now()
    points = await points_since(services, now - timedelta(days=window))
    away = await absences(services, ids)
    names = {m.id: m.name for m in await services.family.members()}
    today, day = local_day(services, now), local_day(services, due_at)
    first = today - timedelta(days=window - 1)
    return [
        Candidate(
            member_id=member,
            name=names.get(member, "someone"),
            away=away_on(away[member], day) is not None,
            points=points.get(member, 0),
            days_home=window - _days_away(away[member], first, today),
        )
        for member in ids
    ]


async def finished_on(services: SkillServices, chore_id: int, day: date) -> bool:
    """Whether a turn of the chore was ticked off on that local day."""
    start = datetime.combine(day, datetime.min.time(), zone(services))
    async with services.sessions() as session:
        found = await session.exec(
            select(ChoreTurn.id).where(
                ChoreTurn.chore_id == chore_id,
                col(ChoreTurn.done_at) >= start,
                col(ChoreTurn.done_at) < start + timedelta(days=1),
            )
        )
        return found.first() is not None


async def _previous(services: SkillServices, chore_id: int) -> ChoreTurn | None:
    """The chore's latest turn that moved the rotation on."""
    async with services.sessions() as session:
        return (
            await session.exec(
                select(ChoreTurn)
                .where(ChoreTurn.chore_id == chore_id, col(ChoreTurn.state).in_(ROLLED_STATES))
                .order_by(col(ChoreTurn.due_at).desc(), col(ChoreTurn.id).desc())
            )
        ).first()


async def _unpaid_swap(services: SkillServices, chore_id: int) -> ChoreTurn | None:
    async with services.sessions() as session:
        return (
            await session.exec(
                select(ChoreTurn)
                .where(
                    ChoreTurn.chore_id == chore_id,
                    ChoreTurn.state == "done",
                    col(ChoreTurn.swapped_from).is_not(None),
                    col(ChoreTurn.swap_settled).is_(False),
                )
                .order_by(col(ChoreTurn.due_at))
            )
        ).first()


async def give_turn(services: SkillServices, owner: Chore, due_at: datetime) -> ChoreTurn:
    """The chore's turn due `due_at`, given to a member now (the existing one if it exists)."""
    assert owner.id is not None
    async with services.sessions() as session:
        existing = (
            await session.exec(
                select(ChoreTurn).where(ChoreTurn.chore_id == owner.id, ChoreTurn.due_at == due_at)
            )
        ).first()
    if existing is not None:
        return existing
    now = services.clock.now()
    new = ChoreTurn(chore_id=owner.id, due_at=due_at, created_at=now)
    settled: ChoreTurn | None = None
    if owner.anyone:
        new.reason = "anyone can do it: whoever gets there first earns the points"
    else:
        previous = await _previous(services, owner.id)
        last = None
        if previous is not None:
            last = previous.swapped_from or previous.assignee_id or previous.done_by
        pool = await candidates(services, owner, due_at)
        choice = choose(owner.rotation, pool, last, f"{owner.id}:{due_at.isoformat()}")
        new.assignee_id, new.reason = choice.member_id, choice.reason
        if owner.rotation == "round_robin":
            settled = await _unpaid_swap(services, owner.id)
            owed = next((c for c in pool if settled and c.member_id == settled.swapped_from), None)
            if settled is not None and settled.assignee_id == choice.member_id and owed:
                if not owed.away:
                    helper = next(c.name for c in pool if c.member_id == choice.member_id)
                    new.assignee_id = owed.member_id
                    new.reason = f"you swapped a turn with {helper}; this one is yours in return"
                    new.swapped_from, new.swap_settled = choice.member_id, True
                    settled.swap_settled = True
                else:
                    settled = None
            else:
                settled = None
    try:
        await save(services, new, *([settled] if settled else []))
    except IntegrityError:  # the same occurrence was given at the same moment elsewhere
        return await give_turn(services, owner, due_at)
    await schedule_for(services, owner, new)
    return new


def next_due(
    services: SkillServices, owner: Chore, after: datetime, *, done_at: datetime | None = None
) -> datetime | None:
    """When the chore is due next, after a turn due `after` (done at `done_at`, if done)."""
    minute = due_minute(services, owner)
    tz = zone(services)
    if owner.rrule is not None:
        start = local_day(services, owner.created_at)
        return repeats.next_occurrence(owner.rrule, minute, start, after, tz)
    if owner.after_days is not None and done_at is not None:
        return repeats.in_days(done_at, owner.after_days, minute, tz).astimezone(after.tzinfo)
    return None


def first_due(services: SkillServices, owner: Chore, once_in_days: int | None) -> datetime:
    """The first turn's time: the next occurrence, or today's (tomorrow's once it has passed)."""
    now = services.clock.now()
    tz = zone(services)
    minute = due_minute(services, owner)
    if owner.rrule is not None:
        found = next_due(services, owner, now - timedelta(seconds=1))
        if found is not None:
            return found
    if once_in_days is not None:
        return repeats.in_days(now, once_in_days, minute, tz).astimezone(now.tzinfo)
    today = repeats.in_days(now, 0, minute, tz).astimezone(now.tzinfo)
    return today if today > now else repeats.in_days(now, 1, minute, tz).astimezone(now.tzinfo)


async def finish(
    services: SkillServices, found: ChoreTurn, owner: Chore, doer: Member, recorder: Member
) -> ChoreTurn | None:
    """Marks the turn done by `doer` (awaiting a parent when the chore asks for approval) and
    gives the next turn; returns that next turn, or None when the chore has no more."""
    now = services.clock.now()
    found.state = "awaiting" if owner.needs_approval and recorder.role != "parent" else "done"
    found.done_by, found.done_at, found.recorded_by = doer.id, now, recorder.id
    found.points = owner.effort
    found.swap_with = None
    await save(services, found)
    due = next_due(services, owner, max(found.due_at, now), done_at=now)
    if due is None:
        owner.active = False
        await save(services, owner)
        await stop_for(services, owner)
        return None
    return await give_turn(services, owner, due)


async def turns_between(
    services: SkillServices, start: datetime, end: datetime
) -> list[tuple[ChoreTurn, Chore]]:
    """Every turn finished (or due) in [start, end), for the week's statistics."""
    async with services.sessions() as session:
        rows = await session.exec(
            select(ChoreTurn, Chore)
            .join(Chore, col(Chore.id) == col(ChoreTurn.chore_id))
            .where(col(ChoreTurn.due_at) >= start, col(ChoreTurn.due_at) < end)
            .order_by(col(ChoreTurn.due_at))
        )
        return [(found, owner) for found, owner in rows]


def nag_job(chore_id: int) -> str:
    return f"nag:{chore_id}"


def roll_job(chore_id: int) -> str:
    return f"roll:{chore_id}"


def last_step(services: SkillServices) -> int:
    """The step that tells a parent; the steps before it go to the member."""
    return settings(services).reminders + 1


async def schedule_nag(services: SkillServices, owner: Chore, found: ChoreTurn, step: int) -> None:
    """The turn's push number `step`, one window after the previous one, while it can matter:
    never past the parent's step, never once the next occurrence has come."""
    assert owner.id is not None
    assert found.id is not None
    window = timedelta(minutes=settings(services).remind_every_minutes)
    at = found.due_at + step * window
    follows = next_due(services, owner, found.due_at)
    if (owner.anyone and step > 0) or step > last_step(services):
        await services.jobs.cancel(nag_job(owner.id))
        return
    if follows is not None and at >= follows:
        await services.jobs.cancel(nag_job(owner.id))
        return
    await services.jobs.schedule(
        "nag",
        nag_job(owner.id),
        at=at,
        member_id=found.assignee_id,
        payload={"turn": found.id, "step": step},
        catch_up=window,
    )


async def schedule_for(services: SkillServices, owner: Chore, found: ChoreTurn) -> None:
    """A new turn's first push at its due time and, for a repeating chore, the next occurrence."""
    assert owner.id is not None
    await schedule_nag(services, owner, found, 0)
    follows = next_due(services, owner, found.due_at)
    if follows is None:
        await services.jobs.cancel(roll_job(owner.id))
        return
    await services.jobs.schedule(
        "roll", roll_job(owner.id), at=follows, payload={"turn": found.id}, catch_up=ROLL_CATCH_UP
    )


async def stop_for(services: SkillServices, owner: Chore) -> None:
    assert owner.id is not None
    await services.jobs.cancel(nag_job(owner.id))
    await services.jobs.cancel(roll_job(owner.id))
