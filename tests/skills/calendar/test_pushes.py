"""Alarms and the daily agenda arrive once, on time or marked late, across DST and downtime."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlmodel import col, select

from bot.clock import ManualClock
from bot.context import AppContext
from bot.family import Member
from skills.calendar.pushes import schedule_daily_agendas
from storage.models import OutboxMessage
from tests.skills.calendar.conftest import Ask, back_online, berlin, live_until, pushes
from tests.support.home import CHILD_ID, PARENT_ID, FamilyChats


async def pushed_at(app: AppContext) -> list[tuple[datetime, str]]:
    """When each push was queued (UTC) and what it said."""
    async with app.sessions() as session:
        rows = await session.exec(select(OutboxMessage).order_by(col(OutboxMessage.id)))
        return [(row.created_at.astimezone(UTC), row.payload["text"]) for row in rows]


async def test_an_alarm_rings_once_fifteen_minutes_before_the_event(
    app: AppContext, clock: ManualClock, chats: FamilyChats, ask: Ask
) -> None:
    await ask("calendar.add_event", title="dentist", when="friday at 10", location="Dr. Silva")

    await live_until(app, clock, berlin(2026, 1, 9, 9, 44))
    assert await pushes(chats) == []
    await live_until(app, clock, berlin(2026, 1, 9, 12, 0))
    await app.scheduler.run_due(clock.now())

    assert await pushes(chats) == [(PARENT_ID, "⏰ dentist at 10:00 (in 15 min) — Dr. Silva")]
    assert [when for when, _ in await pushed_at(app)] == [berlin(2026, 1, 9, 9, 45)]


async def test_an_alarm_goes_only_to_the_members_the_event_is_for(
    app: AppContext, clock: ManualClock, chats: FamilyChats, ask: Ask, child: Member
) -> None:
    await ask("calendar.add_event", title="gym bag", when="tomorrow at 7:45", for_members=["Leo"])

    await live_until(app, clock, berlin(2026, 1, 6, 8, 0))

    assert await pushes(chats) == [(CHILD_ID, "⏰ gym bag at 07:45 (in 15 min)")]


async def test_a_weekly_alarm_keeps_its_local_time_across_the_clock_change(
    app: AppContext, clock: ManualClock, chats: FamilyChats, ask: Ask
) -> None:
    clock.advance(berlin(2026, 3, 20) - clock.now())
    await ask(
        "calendar.add_event",
        title="football",
        when="2026-03-22 08:00",
        repeat="FREQ=WEEKLY;COUNT=3",
        alarms=[30],
    )

    await live_until(app, clock, berlin(2026, 4, 30))

    # Berlin moves from UTC+1 to UTC+2 on Sunday 29 March 2026: 07:30 local each time.
    assert [when for when, _ in await pushed_at(app)] == [
        datetime(2026, 3, 22, 6, 30, tzinfo=UTC),
        datetime(2026, 3, 29, 5, 30, tzinfo=UTC),
        datetime(2026, 4, 5, 5, 30, tzinfo=UTC),
    ]
    assert {text for _, text in await pushes(chats)} == {"⏰ football at 08:00 (in 30 min)"}


async def test_an_alarm_due_while_the_bot_was_down_comes_late_and_marked(
    app: AppContext, clock: ManualClock, chats: FamilyChats, ask: Ask
) -> None:
    await ask("calendar.add_event", title="school run", when="tomorrow at 8:00", alarms=[30])

    await back_online(app, clock, berlin(2026, 1, 6, 7, 50))

    assert await pushes(chats) == [
        (PARENT_ID, "⏰ school run at 08:00 (in 30 min) (late: was due 07:30)")
    ]


async def test_an_alarm_missed_beyond_its_catch_up_window_is_not_pushed(
    app: AppContext, clock: ManualClock, chats: FamilyChats, ask: Ask
) -> None:
    await ask(
        "calendar.add_event",
        title="piano",
        when="tomorrow at 8:00",
        repeat="FREQ=WEEKLY",
        alarms=[30],
    )

    await back_online(app, clock, berlin(2026, 1, 6, 10, 45))
    assert await pushes(chats) == []

    await live_until(app, clock, berlin(2026, 1, 13, 9, 0))
    assert [when for when, _ in await pushed_at(app)] == [berlin(2026, 1, 13, 7, 30)]


async def test_the_daily_agenda_comes_once_a_day_and_never_on_an_empty_day(
    app: AppContext, clock: ManualClock, chats: FamilyChats, ask: Ask, child: Member
) -> None:
    await ask("calendar.add_event", title="dentist", when="tomorrow at 8:00", for_members=["Leo"])
    await ask("calendar.add_event", title="football", when="tomorrow at 17:30", alarms=[])
    await ask("calendar.add_event", title="school trip", when="2026-01-08", for_members=["Ana"])
    await schedule_daily_agendas(app.skill("calendar").services)

    await live_until(app, clock, berlin(2026, 1, 10, 12, 0))

    agendas = [(when, text) for when, text in await pushed_at(app) if text.startswith("Today")]
    assert agendas == [
        (berlin(2026, 1, 6, 7, 0), "Today: 08:00 dentist (Leo), 17:30 football"),
        (berlin(2026, 1, 6, 7, 0), "Today: 08:00 dentist (Leo), 17:30 football"),
        (berlin(2026, 1, 8, 7, 0), "Today: all day: school trip (Ana)"),
    ]
    assert sorted(chat for chat, text in await pushes(chats) if text.startswith("Today")) == [
        PARENT_ID,
        PARENT_ID,
        CHILD_ID,
    ]


async def test_an_agenda_due_during_a_restart_still_comes_once_marked_late(
    app: AppContext, clock: ManualClock, chats: FamilyChats, ask: Ask, parent: Member
) -> None:
    services = app.skill("calendar").services
    await ask("calendar.add_event", title="dentist", when="tomorrow at 9:00", alarms=[])
    await schedule_daily_agendas(services)

    clock.advance(berlin(2026, 1, 6, 7, 40) - clock.now())
    await schedule_daily_agendas(services)  # the skill's setup, as the bot starts again
    await back_online(app, clock, clock.now())
    await back_online(app, clock, berlin(2026, 1, 6, 7, 41))

    assert await pushes(chats) == [(PARENT_ID, "Today: 09:00 dentist (late: was due 07:00)")]


async def test_a_month_of_events_across_the_clock_change_pushes_exactly_what_is_due(
    app: AppContext, clock: ManualClock, chats: FamilyChats, ask: Ask
) -> None:
    """Issue 12: a 30-day simulation with DST: none missing, none doubled."""
    clock.advance(berlin(2026, 3, 15, 0, 0) - clock.now())
    await ask("calendar.add_event", title="meds", when="2026-03-15 08:00", repeat="FREQ=DAILY")
    await ask(
        "calendar.add_event",
        title="swimming",
        when="2026-03-17 16:00",
        repeat="FREQ=WEEKLY;BYDAY=TU,TH",
        alarms=[60, 10],
    )
    await ask("calendar.add_event", title="holiday", when="2026-03-30", alarms=[720])
    await ask("calendar.add_event", title="dentist", when="2026-03-29 02:30", alarms=[15])
    await schedule_daily_agendas(app.skill("calendar").services)

    await live_until(app, clock, berlin(2026, 4, 14, 0, 0))
    await live_until(app, clock, berlin(2026, 4, 14, 0, 0))

    texts = [text for _, text in await pushes(chats)]
    counts = {
        "meds": sum(text.startswith("⏰ meds") for text in texts),
        "swimming": sum(text.startswith("⏰ swimming") for text in texts),
        "holiday": sum(text.startswith("⏰ holiday") for text in texts),
        "dentist": sum(text.startswith("⏰ dentist") for text in texts),
        "agenda": sum(text.startswith("Today") for text in texts),
    }
    print(f"30-day simulation pushes: {counts}")
    assert counts == {"meds": 30, "swimming": 16, "holiday": 1, "dentist": 1, "agenda": 30}
    # 02:30 does not exist that night in Berlin (02:00 becomes 03:00): the dentist is at 03:30.
    assert "⏰ dentist at 03:30 (in 15 min)" in texts
