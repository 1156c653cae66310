"""A month of a family's reminders (issue 12): 50 reminders, 15 of them repeating, over 30 days
that include the start of summer time, produce exactly the expected pushes — none missing, none
doubled — when half of them are acknowledged at once and the rest are re-sent twice."""

from __future__ import annotations

import random
from datetime import datetime, timedelta

from dateutil import rrule as recurrence

from bot.actions import Turn, run_action
from bot.clock import ManualClock
from bot.context import AppContext
from bot.family import Member
from tests.skills.reminders.conftest import BERLIN, occurrences, run_scheduler
from tests.support.home import FamilyChats, MakeIncoming

DAYS = 30
REPEATING = (
    ("every day at 7:00", "FREQ=DAILY;BYHOUR=7;BYMINUTE=0"),
    ("every day at 02:30", "FREQ=DAILY;BYHOUR=2;BYMINUTE=30"),
    ("every tuesday at 12:45", "FREQ=WEEKLY;BYDAY=TU;BYHOUR=12;BYMINUTE=45"),
    ("every friday at 21:00", "FREQ=WEEKLY;BYDAY=FR;BYHOUR=21;BYMINUTE=0"),
    ("every day at 23:59", "FREQ=DAILY;BYHOUR=23;BYMINUTE=59"),
    ("every thursday at 06:10", "FREQ=WEEKLY;BYDAY=TH;BYHOUR=6;BYMINUTE=10"),
    ("every weekday at 7:15", "FREQ=WEEKLY;BYDAY=MO,TU,WE,TH,FR;BYHOUR=7;BYMINUTE=15"),
    ("every day at 16:30", "FREQ=DAILY;BYHOUR=16;BYMINUTE=30"),
    ("montags um 8", "FREQ=WEEKLY;BYDAY=MO;BYHOUR=8;BYMINUTE=0"),
    ("every monday at 18:00", "FREQ=WEEKLY;BYDAY=MO;BYHOUR=18;BYMINUTE=0"),
    ("jeden Sonntag um 10 Uhr", "FREQ=WEEKLY;BYDAY=SU;BYHOUR=10;BYMINUTE=0"),
    ("todos os sábados às 9", "FREQ=WEEKLY;BYDAY=SA;BYHOUR=9;BYMINUTE=0"),
    ("cada miércoles a las 19:00", "FREQ=WEEKLY;BYDAY=WE;BYHOUR=19;BYMINUTE=0"),
    ("on the first of every month at 9:00", "FREQ=MONTHLY;BYMONTHDAY=1;BYHOUR=9;BYMINUTE=0"),
    ("on the 15th of every month at 20:00", "FREQ=MONTHLY;BYMONTHDAY=15;BYHOUR=20;BYMINUTE=0"),
)
ONE_OFFS = 35


async def test_a_month_of_fifty_reminders_across_summer_time_pushes_exactly_as_expected(
    app: AppContext,
    chats: FamilyChats,
    clock: ManualClock,
    parent: Member,
    make_incoming: MakeIncoming,
) -> None:
    start = clock.now()
    end = start + timedelta(days=DAYS)
    turn = Turn(app=app, incoming=make_incoming("setting up"), member=parent)
    expected_due: dict[str, list[datetime]] = {}
    for number, (words, rule) in enumerate(REPEATING):
        name = f"task {number:02d}"
        result = await run_action(turn, "reminders.add", {"what": name, "when": words})
        assert result.status == "done", result.text
        assert result.data["rrule"] == rule
        local_start = start.astimezone(BERLIN).replace(second=0, microsecond=0)
        expected_due[name] = recurrence.rrulestr(rule, dtstart=local_start).between(
            start, end, inc=True
        )
    chance = random.Random(12)
    for number in range(len(REPEATING), len(REPEATING) + ONE_OFFS):
        name = f"task {number:02d}"
        after = chance.randrange(10, DAYS * 24 * 60 - 10)
        words = f"in {after} minutes"
        result = await run_action(turn, "reminders.add", {"what": name, "when": words})
        assert result.status == "done", result.text
        expected_due[name] = [start + timedelta(minutes=after)]

    acknowledged = {name for index, name in enumerate(sorted(expected_due)) if index % 2 == 0}
    while (due := await app.scheduler.next_due()) is not None and due <= end:
        clock.advance(due - clock.now())
        before = len(chats.delivered)
        await run_scheduler(app)
        await chats.outbox.deliver_due()
        for delivery in chats.delivered[before:]:
            name = delivery.reply.text.removeprefix("⏰ Reminder: ")
            if name in acknowledged:
                answer = await chats.send(make_incoming(button=delivery.reply.buttons[0].data))
                assert answer.text == f"Done: {name} ✓"

    texts = [d.reply.text for d in chats.delivered if d.reply.text.startswith("⏰")]
    first_pushes = [t.removeprefix("⏰ Reminder: ") for t in texts if "Reminder:" in t]
    resends = [t for t in texts if "Still open" in t]
    expected_resends = sum(
        sum(1 for after in (10, 30) if when + timedelta(minutes=after) <= end)
        for name, times in expected_due.items()
        if name not in acknowledged
        for when in times
    )
    occurrence_count = sum(len(times) for times in expected_due.values())
    print(
        f"\n{len(expected_due)} reminders over {DAYS} days: {occurrence_count} occurrences, "
        f"{len(first_pushes)} reminder pushes, {len(resends)} re-sends "
        f"(expected {expected_resends}), {len(acknowledged)} reminders acknowledged"
    )
    assert sorted(first_pushes) == sorted(
        name for name, times in expected_due.items() for _ in times
    )
    assert len(resends) == expected_resends
    assert len(texts) == len(first_pushes) + len(resends)
    assert not [t for t in texts if "late" in t or "offline" in t]
    rows = await occurrences(app)
    assert len(rows) == occurrence_count
    due_times = sorted((row.reminder_id, row.due_at) for row in rows)
    assert len(set(due_times)) == len(due_times)
    seven = [row.due_at.astimezone(BERLIN) for row in rows if row.reminder_id == 1]
    assert {(when.hour, when.minute) for when in seven} == {(7, 0)}
    assert {when.utcoffset() for when in seven} == {timedelta(hours=1), timedelta(hours=2)}
