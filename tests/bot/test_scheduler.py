"""The scheduler (issue 11): every firing happens exactly once — on time, or late and marked
late, or recorded as missed past its catch-up window — across restarts and crashes."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from sqlmodel import col, select

from bot.clock import ManualClock
from bot.context import AppContext
from bot.family import Member
from bot.messages import Reply
from bot.notify import ChatRecipient, Notifier
from bot.scheduler import MAX_ATTEMPTS, Firing, ScheduleError, Scheduler
from storage.models import JobFiring, OutboxMessage

BERLIN = ZoneInfo("Europe/Berlin")
DAILY_AT_SEVEN = "FREQ=DAILY;BYHOUR=7;BYMINUTE=0"


@dataclass
class Reminders:
    """A skill's side of the scheduler: pushes a reminder per firing, and records what it got."""

    notifier: Notifier
    firings: list[Firing] = field(default_factory=list)
    fail_with: BaseException | None = None
    fired: asyncio.Event = field(default_factory=asyncio.Event)

    async def dispatch(self, firing: Firing) -> None:
        self.firings.append(firing)
        if firing.status != "missed":
            await self.notifier.push(
                ChatRecipient("telegram", "1001"),
                Reply(text=str(firing.payload.get("text", ""))),
                key=firing.key,
            )
        self.fired.set()
        if self.fail_with is not None:
            raise self.fail_with


@pytest.fixture
async def reminders(app: AppContext) -> Reminders:
    """The only skill with jobs: those the built-in skills file at start-up are cancelled."""
    for job in await app.scheduler.jobs():
        await app.scheduler.cancel(job.key)
    return Reminders(Notifier(app.sessions, app.clock))


def scheduler_for(app: AppContext, reminders: Reminders, timezone: str = "UTC") -> Scheduler:
    """A scheduler as one start of the bot makes it; a second call is the bot started again."""
    return Scheduler(app.sessions, app.clock, reminders.dispatch, timezone)


async def outbox_texts(app: AppContext) -> list[str]:
    async with app.sessions() as session:
        rows = await session.exec(select(OutboxMessage).order_by(col(OutboxMessage.id)))
        return [row.payload["text"] for row in rows]


async def firing_rows(app: AppContext) -> list[JobFiring]:
    async with app.sessions() as session:
        return list(await session.exec(select(JobFiring).order_by(col(JobFiring.id))))


async def test_a_one_off_job_fires_once_at_its_minute(
    app: AppContext, clock: ManualClock, reminders: Reminders
) -> None:
    scheduler = scheduler_for(app, reminders)
    at = clock.now() + timedelta(minutes=30)
    await scheduler.schedule("reminders", "remind", "reminders:1", at=at, payload={"text": "Pan"})

    clock.advance(timedelta(minutes=29, seconds=59))
    assert await scheduler.run_due(clock.now()) == []

    clock.advance(timedelta(seconds=1))
    [firing] = await scheduler.run_due(clock.now())
    assert (firing.occurrence, firing.status, firing.late_by) == (at, "due", timedelta(0))
    assert firing.payload == {"text": "Pan"}

    clock.advance(timedelta(hours=1))
    assert await scheduler.run_due(clock.now()) == []
    assert await scheduler.jobs() == []
    assert [row.status for row in await firing_rows(app)] == ["done"]
    assert await outbox_texts(app) == ["Pan"]


@pytest.mark.parametrize(
    ("first_day", "utc_hours"),
    [
        (datetime(2026, 3, 26, 12, 0, tzinfo=UTC), [6, 6, 5, 5]),  # summer time starts 29 March
        (datetime(2026, 10, 22, 12, 0, tzinfo=UTC), [5, 5, 6, 6]),  # and ends 25 October
    ],
)
async def test_a_daily_seven_oclock_job_stays_at_seven_in_berlin_across_the_clock_change(
    app: AppContext,
    clock: ManualClock,
    reminders: Reminders,
    first_day: datetime,
    utc_hours: list[int],
) -> None:
    clock.advance(first_day - clock.now())
    scheduler = scheduler_for(app, reminders, "Europe/Berlin")
    await scheduler.schedule("agenda", "daily", "agenda:daily", rrule=DAILY_AT_SEVEN)

    fired: list[Firing] = []
    for _ in range(4 * 24):
        clock.advance(timedelta(hours=1))
        fired += await scheduler.run_due(clock.now())

    assert [f.occurrence.astimezone(BERLIN).hour for f in fired] == [7, 7, 7, 7]
    assert [f.occurrence.hour for f in fired] == utc_hours
    assert {f.status for f in fired} == {"due"}


async def test_a_job_due_while_the_bot_was_down_fires_once_late_when_it_starts_again(
    app: AppContext, clock: ManualClock, reminders: Reminders
) -> None:
    at = clock.now() + timedelta(minutes=10)
    await scheduler_for(app, reminders).schedule(
        "reminders", "remind", "reminders:1", at=at, catch_up=timedelta(hours=4)
    )

    clock.advance(timedelta(hours=3))
    restarted = scheduler_for(app, reminders)
    [firing] = await restarted.run_due(clock.now())
    assert await restarted.run_due(clock.now()) == []

    assert (firing.status, firing.late_by) == ("late", timedelta(hours=2, minutes=50))
    [row] = await firing_rows(app)
    assert (row.status, row.late_by_s) == ("done", 2 * 3600 + 50 * 60)


async def test_a_job_past_its_catch_up_window_is_recorded_missed_and_the_skill_told(
    app: AppContext, clock: ManualClock, reminders: Reminders
) -> None:
    at = clock.now() + timedelta(minutes=10)
    await scheduler_for(app, reminders).schedule(
        "reminders", "remind", "reminders:1", at=at, catch_up=timedelta(hours=1)
    )

    clock.advance(timedelta(hours=3))
    [firing] = await scheduler_for(app, reminders).run_due(clock.now())

    assert firing.status == "missed"
    assert reminders.firings == [firing]
    assert [row.status for row in await firing_rows(app)] == ["missed"]
    assert await outbox_texts(app) == []


async def test_five_missed_dailies_coalesce_into_one_firing_and_the_job_goes_on(
    app: AppContext, clock: ManualClock, reminders: Reminders
) -> None:
    clock.advance(datetime(2026, 1, 5, 6, 0, tzinfo=UTC) - clock.now())  # Monday, 06:00
    await scheduler_for(app, reminders).schedule(
        "chores", "nag", "chores:dishes", rrule=DAILY_AT_SEVEN, catch_up=timedelta(hours=1)
    )

    clock.advance(timedelta(days=4, hours=6))  # back on Friday at noon
    restarted = scheduler_for(app, reminders)
    [firing] = await restarted.run_due(clock.now())

    assert firing.occurrence == datetime(2026, 1, 9, 7, 0, tzinfo=UTC)
    assert (firing.status, firing.coalesced) == ("missed", 4)
    [row] = await firing_rows(app)
    assert (row.status, row.coalesced) == ("missed", 4)
    [job] = await restarted.jobs()
    assert job.next_run_at == datetime(2026, 1, 10, 7, 0, tzinfo=UTC)

    clock.advance(timedelta(hours=19))  # Saturday, 07:00
    [saturday] = await restarted.run_due(clock.now())
    assert (saturday.status, saturday.coalesced) == ("due", 0)


async def test_a_crash_between_due_and_sent_neither_loses_nor_doubles_the_reminder(
    app: AppContext, clock: ManualClock, reminders: Reminders
) -> None:
    """The process dies after the skill pushed but before the firing was marked done."""
    first_run = scheduler_for(app, reminders)
    await first_run.schedule(
        "reminders", "remind", "reminders:1", at=clock.now(), payload={"text": "Call Grandma"}
    )
    reminders.fail_with = asyncio.CancelledError()
    with pytest.raises(asyncio.CancelledError):
        await first_run.run_due(clock.now())
    assert [row.status for row in await firing_rows(app)] == ["started"]

    reminders.fail_with = None
    clock.advance(timedelta(minutes=2))
    [again] = await scheduler_for(app, reminders).run_due(clock.now())

    assert again.key == reminders.firings[0].key
    assert await outbox_texts(app) == ["Call Grandma"]
    assert [(row.status, row.attempts) for row in await firing_rows(app)] == [("done", 2)]
    assert await scheduler_for(app, reminders).run_due(clock.now()) == []


async def test_a_firing_interrupted_again_and_again_is_given_up(
    app: AppContext, clock: ManualClock, reminders: Reminders
) -> None:
    await scheduler_for(app, reminders).schedule(
        "reminders", "remind", "reminders:1", at=clock.now()
    )
    reminders.fail_with = asyncio.CancelledError()
    for _ in range(MAX_ATTEMPTS):
        with pytest.raises(asyncio.CancelledError):
            await scheduler_for(app, reminders).run_due(clock.now())

    assert await scheduler_for(app, reminders).run_due(clock.now()) == []
    [row] = await firing_rows(app)
    assert (row.status, row.attempts) == ("failed", MAX_ATTEMPTS)
    assert len(reminders.firings) == MAX_ATTEMPTS


async def test_a_failing_skill_marks_its_firing_failed_and_the_job_still_moves_on(
    app: AppContext, clock: ManualClock, reminders: Reminders
) -> None:
    clock.advance(datetime(2026, 1, 5, 6, 0, tzinfo=UTC) - clock.now())
    scheduler = scheduler_for(app, reminders)
    await scheduler.schedule("chores", "nag", "chores:dishes", rrule=DAILY_AT_SEVEN)
    reminders.fail_with = RuntimeError("the skill is broken")

    clock.advance(timedelta(hours=1))
    assert len(await scheduler.run_due(clock.now())) == 1
    assert await scheduler.run_due(clock.now()) == []

    [row] = await firing_rows(app)
    assert row.status == "failed"
    assert row.error == "RuntimeError: the skill is broken"
    [job] = await scheduler.jobs()
    assert job.next_run_at == datetime(2026, 1, 6, 7, 0, tzinfo=UTC)
    assert len(await outbox_texts(app)) == 1


async def test_a_cancelled_job_never_fires(
    app: AppContext, clock: ManualClock, reminders: Reminders
) -> None:
    scheduler = scheduler_for(app, reminders)
    await scheduler.schedule(
        "reminders", "remind", "reminders:1", at=clock.now() + timedelta(minutes=5)
    )

    assert await scheduler.cancel("reminders:1")
    assert not await scheduler.cancel("reminders:1")
    assert not await scheduler.cancel("reminders:unknown")

    clock.advance(timedelta(hours=1))
    assert await scheduler.run_due(clock.now()) == []
    assert await scheduler.jobs() == []


async def test_scheduling_a_key_again_moves_the_job_instead_of_adding_one(
    app: AppContext, clock: ManualClock, reminders: Reminders, parent: Member
) -> None:
    scheduler = scheduler_for(app, reminders)
    first = await scheduler.schedule(
        "reminders", "remind", "reminders:1", at=clock.now() + timedelta(minutes=5)
    )
    second = await scheduler.schedule(
        "reminders",
        "remind",
        "reminders:1",
        at=clock.now() + timedelta(minutes=20),
        member_id=parent.id,
        payload={"text": "later"},
    )

    [job] = await scheduler.jobs(skill="reminders", member_id=parent.id)
    assert first == second == job.id
    assert job.payload == {"text": "later"}
    clock.advance(timedelta(minutes=10))
    assert await scheduler.run_due(clock.now()) == []
    clock.advance(timedelta(minutes=10))
    assert len(await scheduler.run_due(clock.now())) == 1


async def test_jobs_lists_what_is_still_to_run_by_skill_and_member(
    app: AppContext, clock: ManualClock, reminders: Reminders, parent: Member, child: Member
) -> None:
    scheduler = scheduler_for(app, reminders)
    soon = clock.now() + timedelta(minutes=5)
    await scheduler.schedule("reminders", "remind", "r:ana", at=soon, member_id=parent.id)
    await scheduler.schedule("reminders", "remind", "r:leo", at=soon, member_id=child.id)
    await scheduler.schedule("chores", "nag", "c:leo", rrule=DAILY_AT_SEVEN, member_id=child.id)

    assert [job.key for job in await scheduler.jobs(member_id=child.id)] == ["r:leo", "c:leo"]
    assert [job.key for job in await scheduler.jobs(skill="reminders")] == ["r:ana", "r:leo"]
    await app.family.remove("Leo")
    assert [job.key for job in await scheduler.jobs()] == ["r:ana"]


@pytest.mark.parametrize(
    ("arguments", "problem"),
    [
        ({}, "a time \\(at\\) or a recurrence"),
        ({"at": datetime(2026, 1, 5, 10, 0)}, "timezone-aware"),
        ({"rrule": "DTSTART:20260101T000000\nRRULE:FREQ=DAILY"}, "not a single RRULE"),
        ({"rrule": "FREQ=FORTNIGHTLY"}, "not a recurrence I understand"),
        ({"rrule": "FREQ=DAILY;COUNT=1", "starts": datetime(2025, 1, 1, tzinfo=UTC)}, "left"),
    ],
)
async def test_a_job_that_cannot_run_is_refused_with_the_reason(
    app: AppContext, reminders: Reminders, arguments: dict[str, Any], problem: str
) -> None:
    with pytest.raises(ScheduleError, match=problem):
        await scheduler_for(app, reminders).schedule("reminders", "remind", "r:1", **arguments)


async def test_the_loop_wakes_when_the_clock_reaches_the_next_job(
    app: AppContext, clock: ManualClock, reminders: Reminders
) -> None:
    scheduler = scheduler_for(app, reminders)
    await scheduler.schedule(
        "reminders",
        "remind",
        "r:1",
        at=clock.now() + timedelta(minutes=30),
        payload={"text": "Go"},
    )
    loop = asyncio.create_task(scheduler.run())
    try:
        async with asyncio.timeout(10):
            await clock.someone_asleep()
            clock.advance(timedelta(minutes=29))
            await clock.someone_asleep()
            assert reminders.firings == []

            clock.advance(timedelta(minutes=1))
            await reminders.fired.wait()
            assert [f.status for f in reminders.firings] == ["due"]

            # A job added while the loop sleeps wakes it without any time passing.
            reminders.fired.clear()
            await scheduler.schedule("reminders", "remind", "r:2", at=clock.now())
            await reminders.fired.wait()
            assert [f.job_key for f in reminders.firings] == ["r:1", "r:2"]
    finally:
        loop.cancel()
        await asyncio.gather(loop, return_exceptions=True)
    assert loop.cancelled()
