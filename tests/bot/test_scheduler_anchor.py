"""A recurring job's occurrences counted from a later anchor are the ones counted from its
start: same times, same steps, across summer time, for every kind of rule the skills file."""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from bot.scheduler import _anchor, _recurrence

ZONES = ("Europe/Berlin", "America/Sao_Paulo", "America/New_York", "Australia/Lord_Howe")
RULES = (
    "FREQ=MINUTELY;INTERVAL=15",
    "FREQ=MINUTELY;INTERVAL=7",
    "FREQ=HOURLY",
    "FREQ=HOURLY;INTERVAL=5;BYMINUTE=0,30",
    "FREQ=DAILY",
    "FREQ=DAILY;BYHOUR=2;BYMINUTE=30",
    "FREQ=DAILY;INTERVAL=3;BYHOUR=7,19;BYMINUTE=15",
    "FREQ=WEEKLY;BYDAY=MO,TU,WE,TH,FR;BYHOUR=7;BYMINUTE=15",
    "FREQ=WEEKLY;INTERVAL=2;BYDAY=MO,TH;BYHOUR=18;BYMINUTE=0",
    "FREQ=WEEKLY;INTERVAL=3",
    "FREQ=MONTHLY;BYMONTHDAY=31;BYHOUR=9;BYMINUTE=0",
    "FREQ=MONTHLY;BYMONTHDAY=-1;BYHOUR=20;BYMINUTE=0",
    "FREQ=DAILY;COUNT=400;BYHOUR=8;BYMINUTE=0",
    "FREQ=HOURLY;UNTIL=20280101T000000Z",
)


@pytest.mark.parametrize("zone_name", ZONES)
@pytest.mark.parametrize("rule", RULES)
def test_counting_from_the_anchor_gives_the_same_occurrences(zone_name: str, rule: str) -> None:
    """Starts at odd times just before a clock change (02:30 on the night summer time starts
    in Berlin, Lord Howe's half hour) and, for the long steps, checks over two years."""
    zone = ZoneInfo(zone_name)
    chance = random.Random(f"{rule}{zone_name}")
    long_steps = not rule.startswith(("FREQ=MINUTELY", "FREQ=HOURLY"))
    horizon = timedelta(days=730 if long_steps else 45)
    for first_day in (datetime(2026, 3, 27, 2, 30), datetime(2026, 9, 30, 2, 30)):
        start = first_day.replace(tzinfo=zone) - timedelta(minutes=chance.randrange(600))
        whole = _recurrence(rule, start)
        for _ in range(12):
            now = start.astimezone(UTC) + chance.random() * horizon
            planned = whole.after(now - timedelta(minutes=chance.randrange(1, 3 * 24 * 60)))
            if planned is None or planned > now:
                continue
            counted = _recurrence(rule, _anchor(rule, start, planned.astimezone(UTC), zone))

            assert counted.before(now, inc=True) == whole.before(now, inc=True)
            assert counted.between(planned, now, inc=True) == whole.between(planned, now, inc=True)
            assert counted.after(now) == whole.after(now)


def test_a_run_in_the_hour_summer_time_skips_does_not_move_the_series() -> None:
    """Daily at 02:30 from a Friday: Sunday's 02:30 does not exist in Berlin and is stored as
    03:30 summer time; counted from there the series would drift to 03:30 for good."""
    zone = ZoneInfo("Europe/Berlin")
    start = datetime(2026, 3, 27, 2, 30, tzinfo=zone)
    whole = _recurrence("FREQ=DAILY", start)
    planned = datetime(2026, 3, 29, 2, 30, tzinfo=zone).astimezone(UTC)
    now = planned + timedelta(hours=30)

    counted = _recurrence("FREQ=DAILY", _anchor("FREQ=DAILY", start, planned, zone))

    assert counted.after(now) == whole.after(now) == datetime(2026, 3, 31, 2, 30, tzinfo=zone)
