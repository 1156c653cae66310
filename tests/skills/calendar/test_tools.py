"""The calendar tools, the /agenda command and the fast path, as the family uses them."""

from __future__ import annotations

import pytest

from bot.context import AppContext
from bot.family import Member
from tests.skills.calendar.conftest import Ask
from tests.support.home import CHILD_ID, FamilyChats, MakeIncoming


async def test_an_event_added_in_words_shows_in_the_agenda_of_its_day(ask: Ask) -> None:
    added = await ask("calendar.add_event", title="dentist", when="friday at 10")

    assert added.status == "done"
    assert added.text == "Added dentist: Fri 09 Jan at 10:00–11:00."
    friday = await ask("calendar.agenda", day="friday")
    assert friday.text == f"**Fri 09 Jan**\n- #{added.data['id']} 10:00–11:00 dentist"
    assert (await ask("calendar.agenda")).text == "Nothing on today."


async def test_the_agenda_lists_all_day_events_first_and_who_an_event_is_for(
    app: AppContext, ask: Ask, child: Member
) -> None:
    await ask("calendar.add_event", title="football", when="tomorrow at 17:30", location="Park")
    await ask("calendar.add_event", title="dentist", when="morgen um 8", for_members=["leo"])
    await ask("calendar.add_event", title="school trip", when="amanhã")

    shown = await ask("calendar.agenda", day="tomorrow")

    lines = shown.text.splitlines()
    assert lines[0] == "**Tomorrow, Tue 06 Jan**"
    assert [line.split(" ", 2)[2] for line in lines[1:]] == [
        "all day: school trip",
        "08:00–09:00 dentist (Leo)",
        "17:30–18:30 football — Park",
    ]
    assert [event["for"] for event in shown.data["events"]] == [
        ["everyone"],
        ["Leo"],
        ["everyone"],
    ]


async def test_titles_are_shown_exactly_as_typed_and_the_agenda_is_untrusted_output(
    app: AppContext, ask: Ask
) -> None:
    await ask("calendar.add_event", title="**call** [me](http://x)", when="today at 18:00")

    shown = await ask("calendar.agenda")

    assert "\\*\\*call\\*\\* \\[me\\](http://x)" in shown.text
    agenda = app.tools.get("calendar.agenda")
    assert agenda is not None
    assert agenda.untrusted_output


async def test_a_repeating_event_can_skip_one_day_and_be_moved(ask: Ask) -> None:
    added = await ask(
        "calendar.add_event", title="swimming", when="tuesday at 16:00", repeat="FREQ=WEEKLY"
    )
    assert added.text.endswith("repeating (FREQ=WEEKLY).")

    skipped = await ask("calendar.remove_event", event="swimming", on="2026-01-13")
    week = await ask("calendar.agenda", day="2026-01-06", days=15)

    assert skipped.text == "Removed swimming on Tue 13 Jan; the other days stay."
    assert [event["day"] for event in week.data["events"]] == ["2026-01-06", "2026-01-20"]
    moved = await ask("calendar.move_event", event=f"#{added.data['id']}", to="wednesday at 17:00")
    assert moved.text.startswith("Moved swimming to Wed 07 Jan at 17:00–18:00")
    week = await ask("calendar.agenda", day="2026-01-07", days=15)
    assert [event["day"] for event in week.data["events"]] == ["2026-01-07", "2026-01-21"]


async def test_removing_an_event_takes_it_off_the_calendar(ask: Ask) -> None:
    await ask("calendar.add_event", title="dentist", when="friday at 10")

    removed = await ask("calendar.remove_event", event="Dentist")

    assert removed.text == "Removed dentist from the calendar."
    assert (await ask("calendar.agenda", day="friday")).text == "Nothing on Fri 09 Jan."


async def test_an_unclear_day_gets_a_question_and_adds_nothing(ask: Ask) -> None:
    result = await ask("calendar.add_event", title="dentist", when="when pigs fly")

    assert result.status == "failed"
    assert result.text.startswith("I couldn't tell which day “when pigs fly” is")
    assert (await ask("calendar.agenda", day="today", days=7)).data == {"events": []}


async def test_two_events_of_one_name_are_asked_about_not_guessed(ask: Ask) -> None:
    await ask("calendar.add_event", title="dentist", when="friday at 10")
    await ask("calendar.add_event", title="dentist", when="2026-02-02 09:00")

    result = await ask("calendar.remove_event", event="dentist")

    assert result.status == "failed"
    assert result.text.startswith("Which one do you mean? #1 dentist (Fri 09 Jan); #2 dentist")


async def test_children_read_the_calendar_but_cannot_change_it(ask: Ask, child: Member) -> None:
    await ask("calendar.add_event", title="dentist", when="friday at 10")

    assert (await ask("calendar.agenda", member=child, day="friday")).status == "done"
    added = await ask("calendar.add_event", member=child, title="party", when="saturday")
    assert added.status == "denied"


@pytest.mark.parametrize(
    ("text", "day"),
    [
        ("what's on today?", "today"),
        ("What is on tomorrow", "tomorrow"),
        ("was steht morgen an?", "tomorrow"),
        ("Was steht heute an", "today"),
        ("o que temos hoje?", "today"),
        ("o que temos para amanhã?", "tomorrow"),
        ("¿qué hay hoy?", "today"),
        ("qué hay para mañana", "tomorrow"),
        ("what's on the calendar for friday", "friday"),
    ],
)
async def test_asking_for_the_agenda_needs_no_llm(
    app: AppContext,
    chats: FamilyChats,
    parent: Member,
    make_incoming: MakeIncoming,
    text: str,
    day: str,
) -> None:
    outcome = await chats.send(make_incoming(text))

    assert outcome.route == "fast"
    assert [(a.tool, a.args, a.status) for a in outcome.actions] == [
        ("calendar.agenda", {"day": day, "days": 1}, "done")
    ]


async def test_a_simple_event_is_added_from_a_sentence_without_the_llm(
    chats: FamilyChats, parent: Member, make_incoming: MakeIncoming
) -> None:
    outcome = await chats.send(make_incoming("add dentist on friday at 10 to the calendar"))

    assert outcome.route == "fast"
    assert outcome.text == "Added dentist: Fri 09 Jan at 10:00–11:00."
    outcome = await chats.send(make_incoming("was steht am freitag an?"))
    assert outcome.actions[0].tool == "calendar.agenda"
    assert outcome.text.endswith("10:00–11:00 dentist")


async def test_the_agenda_command_shows_a_day(
    chats: FamilyChats, parent: Member, child: Member, make_incoming: MakeIncoming
) -> None:
    await chats.send(make_incoming("add football on tomorrow at 17:30 to the calendar"))

    outcome = await chats.send(make_incoming("/agenda tomorrow", sender=CHILD_ID))

    assert outcome.route == "command"
    assert outcome.text.endswith("17:30–18:30 football")
