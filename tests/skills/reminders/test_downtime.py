"""Reminders across downtime and clock changes (issue 12): due while the bot was stopped, one is
pushed once, marked late, within its catch-up window; past it, it is recorded as missed and the
member hears of it in one line; a daily reminder stays at its local time over summer time."""

from __future__ import annotations

from pathlib import Path

from bot.clock import ManualClock
from bot.context import AppContext
from skills.reminders.models import ReminderOccurrence
from tests.skills.reminders.conftest import (
    BERLIN,
    berlin,
    minutes,
    occurrences,
    pushed,
    restarted,
    run_scheduler,
)
from tests.support.home import PARENT_ID, FamilyChats, MakeIncoming


async def set_up(app: AppContext, make_incoming: MakeIncoming, *requests: str) -> None:
    await app.family.add("Ana", "parent")
    await app.family.link("Ana", f"telegram:{PARENT_ID}")
    chats = FamilyChats.open(app)
    for request in requests:
        outcome = await chats.send(make_incoming(request))
        assert outcome.actions[0].status == "done", outcome.text


def states(rows: list[ReminderOccurrence]) -> list[str]:
    return [row.state for row in rows]


async def test_a_reminder_due_while_the_bot_was_down_comes_once_marked_late(
    bot_toml: Path, clock: ManualClock, make_incoming: MakeIncoming
) -> None:
    async with restarted(bot_toml, clock) as app:
        await set_up(app, make_incoming, "remind me to call grandma today at 17:00")

    clock.advance(berlin(27, 17, 40) - clock.now())
    async with restarted(bot_toml, clock) as app:
        await run_scheduler(app)
        assert await pushed(app) == ["⏰ Reminder: call grandma (late: was due 17:00)"]
    async with restarted(bot_toml, clock) as app:
        assert await run_scheduler(app) == []
        assert len(await pushed(app)) == 1
        assert states(await occurrences(app)) == ["sent"]


async def test_a_short_reminder_hours_late_is_missed_and_told_in_one_line(
    bot_toml: Path, clock: ManualClock, make_incoming: MakeIncoming
) -> None:
    async with restarted(bot_toml, clock) as app:
        await set_up(
            app,
            make_incoming,
            "remind me in 20 minutes to take the pizza out",
            "remind me in 30 minutes to turn the oven off",
            "remind me to call grandma today at 17:00",
        )

    clock.advance(minutes(3 * 60))
    async with restarted(bot_toml, clock) as app:
        await run_scheduler(app)
        assert await pushed(app) == [
            "⏰ While I was offline you missed 2 reminders: take the pizza out (due Fri 09:20), "
            "turn the oven off (due Fri 09:30)."
        ]
        assert states(await occurrences(app)) == ["missed", "missed"]
        chats = FamilyChats.open(app)
        listed = await chats.send(make_incoming("/reminders"))
        assert "take the pizza out — Fri 09:20: missed" in listed.text

        clock.advance(berlin(27, 17) - clock.now())
        await run_scheduler(app)
        assert (await pushed(app))[-1] == "⏰ Reminder: call grandma"


async def test_a_daily_reminder_missed_for_days_comes_once_when_the_bot_is_back(
    bot_toml: Path, clock: ManualClock, make_incoming: MakeIncoming
) -> None:
    async with restarted(bot_toml, clock) as app:
        await set_up(app, make_incoming, "remind me to take my pills every day at 8:00")

    clock.advance(berlin(30, 8, 20) - clock.now())
    async with restarted(bot_toml, clock) as app:
        await run_scheduler(app)
        assert await pushed(app) == [
            "⏰ Reminder: take my pills "
            "(late: was due 08:00; missed 2 earlier times while I was offline)"
        ]


async def test_a_daily_reminder_stays_at_seven_across_the_start_of_summer_time(
    app: AppContext, clock: ManualClock, make_incoming: MakeIncoming
) -> None:
    await set_up(app, make_incoming, "remind me every day at 7 to open the windows")
    due: list[str] = []
    for _ in range(4 * 24 * 4):
        clock.advance(minutes(15))
        for firing in await run_scheduler(app):
            if firing.kind == "due":
                due.append(f"{firing.occurrence.astimezone(BERLIN):%d %H:%M}")
    assert due == ["28 07:00", "29 07:00", "30 07:00", "31 07:00"]
    assert (await pushed(app)).count("⏰ Reminder: open the windows") == 4
