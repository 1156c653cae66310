"""Reminder times in the family's own words (issue 12): dateparser and dateutil do the date
work, in the household's timezone; what cannot be read becomes a question, never a guess."""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta

import pytest

from skills.reminders.when import TimeReader, UnclearTime, describe
from tests.skills.reminders.conftest import BERLIN, FRIDAY_MORNING, berlin


def reader(now: datetime = FRIDAY_MORNING) -> TimeReader:
    return TimeReader(now=now, timezone=BERLIN, default_time=time(9, 0))


@pytest.mark.parametrize(
    ("words", "expected"),
    [
        ("in 20 minutes", berlin(27, 9, 20)),
        ("tomorrow at 5pm", berlin(28, 17)),
        ("morgen um 7", berlin(28, 7)),
        ("morgen um 7 Uhr", berlin(28, 7)),
        ("amanhã às 8", berlin(28, 8)),
        ("mañana a las 8", berlin(28, 8)),
        ("friday at 9", berlin(3, 9, month=4)),
        ("am Freitag um 18:30", berlin(3, 18, 30, month=4)),
        ("tomorrow", berlin(28, 9)),
        ("at 7", berlin(27, 19)),
    ],
)
def test_one_off_times_in_four_languages(words: str, expected: datetime) -> None:
    when = reader().read(words)
    assert when.rrule is None
    assert when.first == expected.astimezone(UTC)


@pytest.mark.parametrize(
    ("words", "rule", "first"),
    [
        (
            "every weekday at 7:15",
            "FREQ=WEEKLY;BYDAY=MO,TU,WE,TH,FR;BYHOUR=7;BYMINUTE=15",
            berlin(30, 7, 15),
        ),
        (
            "on the first of every month",
            "FREQ=MONTHLY;BYMONTHDAY=1;BYHOUR=9;BYMINUTE=0",
            berlin(1, 9, month=4),
        ),
        ("jeden Montag um 7 Uhr", "FREQ=WEEKLY;BYDAY=MO;BYHOUR=7;BYMINUTE=0", berlin(30, 7)),
        ("montags um 7", "FREQ=WEEKLY;BYDAY=MO;BYHOUR=7;BYMINUTE=0", berlin(30, 7)),
        ("todos os dias às 8", "FREQ=DAILY;BYHOUR=8;BYMINUTE=0", berlin(28, 8)),
        ("cada lunes a las 9", "FREQ=WEEKLY;BYDAY=MO;BYHOUR=9;BYMINUTE=0", berlin(30, 9)),
        ("every day at 21:00", "FREQ=DAILY;BYHOUR=21;BYMINUTE=0", berlin(27, 21)),
    ],
)
def test_repeating_times_become_an_rrule(words: str, rule: str, first: datetime) -> None:
    when = reader().read(words)
    assert (when.rrule, when.first) == (rule, first.astimezone(UTC))


@pytest.mark.parametrize(
    ("words", "at_nine", "at_nine_pm"),
    [
        ("at 4", berlin(27, 16), berlin(28, 16)),
        ("at 4:30", berlin(27, 16, 30), berlin(28, 16, 30)),
        ("tomorrow at 4", berlin(28, 16), berlin(28, 16)),
        ("amanhã às 4", berlin(28, 16), berlin(28, 16)),
        ("at 7", berlin(27, 19), berlin(28, 7)),
        ("at 7:30", berlin(27, 19, 30), berlin(28, 7, 30)),
        ("at 10", berlin(27, 10), berlin(27, 22)),
        ("today at 7", berlin(27, 19), None),
        ("tomorrow at 7", berlin(28, 7), berlin(28, 7)),
        ("at 04:00", berlin(28, 4), berlin(28, 4)),
        ("at 4 in the morning", berlin(28, 4), berlin(28, 4)),
        ("um 3 nachts", berlin(28, 3), berlin(28, 3)),
        ("at 16:00", berlin(27, 16), berlin(28, 16)),
    ],
)
def test_an_hour_a_12_hour_clock_means_twice_is_the_one_a_family_means(
    words: str, at_nine: datetime, at_nine_pm: datetime | None
) -> None:
    """As for events, 1 to 6 o'clock is the afternoon unless the member says otherwise; 7 to 11
    is the evening when that comes next: "at 7" said at 09:00 is 19:00, said at 21:00 07:00.
    A leading zero or a part of the day is taken as written."""
    assert reader().read(words).first == at_nine.astimezone(UTC)
    evening = FRIDAY_MORNING + timedelta(hours=12)
    if at_nine_pm is None:
        with pytest.raises(UnclearTime, match="already passed"):
            reader(evening).read(words)
    else:
        assert reader(evening).read(words).first == at_nine_pm.astimezone(UTC)


@pytest.mark.parametrize(
    ("words", "rule"),
    [
        ("every day at 4", "FREQ=DAILY;BYHOUR=16;BYMINUTE=0"),
        ("jeden Tag um 3", "FREQ=DAILY;BYHOUR=15;BYMINUTE=0"),
        ("every day at 7", "FREQ=DAILY;BYHOUR=7;BYMINUTE=0"),
        ("every day at 05:45", "FREQ=DAILY;BYHOUR=5;BYMINUTE=45"),
        ("every day at 4 in the morning", "FREQ=DAILY;BYHOUR=4;BYMINUTE=0"),
    ],
)
def test_a_repeating_small_hour_is_the_afternoon_unless_said_otherwise(
    words: str, rule: str
) -> None:
    assert reader().read(words).rrule == rule


def test_a_span_across_the_clock_change_is_exact() -> None:
    """At 01:30 on the night summer time starts, "in 2 hours" is 04:30 summer time."""
    night = berlin(29, 1, 30).astimezone(UTC)
    when = reader(night).read("in 2 hours")
    assert when.first - night == timedelta(hours=2)
    assert when.first.astimezone(BERLIN).hour == 4


def test_a_wall_clock_time_after_the_clock_change_keeps_its_local_time() -> None:
    assert reader().read("sunday at 9").first == berlin(29, 9).astimezone(UTC)


@pytest.mark.parametrize(
    ("request_text", "what", "expected"),
    [
        ("to call grandma tomorrow at 5pm", "to call grandma", berlin(28, 17)),
        ("in 2 minutes to take the pizza out", "to take the pizza out", berlin(27, 9, 2)),
        ("morgen um 7 an den Müll", "an den Müll", berlin(28, 7)),
        ("de ligar à avó amanhã às 8", "de ligar à avó", berlin(28, 8)),
        ("llamar a la abuela mañana a las 8", "llamar a la abuela", berlin(28, 8)),
    ],
)
def test_a_request_is_split_into_what_and_when(
    request_text: str, what: str, expected: datetime
) -> None:
    found, when = reader().split(request_text)
    assert (found, when.first) == (what, expected.astimezone(UTC))


@pytest.mark.parametrize("words", ["blah", "when the cows come home", "next week", "May"])
def test_a_time_that_cannot_be_read_gets_a_question(words: str) -> None:
    with pytest.raises(UnclearTime, match=r"\?"):
        reader().read(words)


def test_a_time_already_passed_today_is_asked_about_not_moved() -> None:
    with pytest.raises(UnclearTime, match="already passed"):
        reader().read("today at 7am")


def test_a_request_without_any_time_is_asked_about() -> None:
    with pytest.raises(UnclearTime, match="When should I remind you"):
        reader().split("to water the plants")


def test_times_are_shown_in_the_household_timezone() -> None:
    when = reader().read("every weekday at 7:15")
    shown = describe(when, BERLIN, FRIDAY_MORNING)
    assert shown == "every weekday at 07:15 (first: Mon 30 Mar at 07:15)"
