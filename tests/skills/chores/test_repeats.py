"""How often a chore comes round, in the family's four languages (issue 13, item 1)."""

from __future__ import annotations

from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

import pytest

from skills.chores.repeats import UnclearRepeat, next_occurrence, read


@pytest.mark.parametrize(
    ("words", "name", "rrule", "after_days", "due"),
    [
        ("empty the dishwasher every day", "empty the dishwasher", "FREQ=DAILY", None, None),
        (
            "take out the trash Mondays and Thursdays at 7pm",
            "take out the trash",
            "FREQ=WEEKLY;BYDAY=MO,TH",
            None,
            19 * 60,
        ),
        (
            "water the plants every 2 weeks",
            "water the plants",
            "FREQ=WEEKLY;INTERVAL=2",
            None,
            None,
        ),
        ("vacuum every other week", "vacuum", "FREQ=WEEKLY;INTERVAL=2", None, None),
        ("clean the fridge 3 days after it was last done", "clean the fridge", None, 3, None),
        (
            "den Müll rausbringen jeden Tag um 19 Uhr",
            "den Müll rausbringen",
            "FREQ=DAILY",
            None,
            1140,
        ),
        (
            "lavar a louça às segundas e quintas",
            "lavar a louça",
            "FREQ=WEEKLY;BYDAY=MO,TH",
            None,
            None,
        ),
        (
            "sacar la basura cada 2 semanas",
            "sacar la basura",
            "FREQ=WEEKLY;INTERVAL=2",
            None,
            None,
        ),
        ("feed the cat daily by 8:30", "feed the cat", "FREQ=DAILY", None, 8 * 60 + 30),
    ],
)
def test_cadences_are_read_from_the_familys_words(
    words: str, name: str, rrule: str | None, after_days: int | None, due: int | None
) -> None:
    found, repeat = read(words)

    assert found == name
    assert (repeat.rrule, repeat.after_days, repeat.due_minute) == (rrule, after_days, due)


def test_a_chore_without_a_cadence_gets_a_question() -> None:
    with pytest.raises(UnclearRepeat, match="How often should it happen"):
        read("laundry")


def test_every_two_weeks_counts_from_the_first_day_across_summer_time() -> None:
    berlin = ZoneInfo("Europe/Berlin")
    after = datetime(2026, 3, 23, 18, 0, tzinfo=UTC)

    found = next_occurrence("FREQ=WEEKLY;INTERVAL=2", 18 * 60, date(2026, 3, 16), after, berlin)

    assert found is not None
    assert found.astimezone(berlin) == datetime(2026, 3, 30, 18, 0, tzinfo=berlin)
