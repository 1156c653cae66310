"""Chores in the family's chat (issue 13): set up in words, taken in turns, ticked off by
saying so, with "why me?" answered in one line."""

from __future__ import annotations

from bot.clock import ManualClock
from bot.context import AppContext
from bot.family import Member
from tests.skills.chores.conftest import Ask, Say, berlin, chore_turns


async def test_two_children_take_turns_and_saying_it_is_done_hands_it_to_the_other(
    app: AppContext, say: Say, family: dict[str, Member]
) -> None:
    added = await say("Ben and Lena take turns to empty the dishwasher every day")
    assert added.route == "fast", added.text
    assert [(a.tool, a.status) for a in added.actions] == [("chores.add", "done")]
    assert "Empty the dishwasher" in added.text
    assert "First: Ben, Mon 18:00" in added.text

    done = await say("I emptied the dishwasher", "Ben")

    assert done.route == "fast"
    assert [(a.tool, a.status) for a in done.actions] == [("chores.complete", "done")], done.text
    assert "Next: Lena, Tue 18:00" in done.text
    turns = await chore_turns(app)
    assert [(t.assignee_id, t.state) for t in turns] == [
        (family["Ben"].id, "done"),
        (family["Lena"].id, "open"),
    ]
    assert turns[0].done_by == family["Ben"].id
    assert turns[0].points == 1


async def test_why_me_is_answered_in_one_line(ask: Ask, say: Say) -> None:
    await ask(
        "Ana",
        "chores.add",
        what="take out the trash every day",
        who=["Ben", "Lena"],
        rotation="fewest_points",
        effort=3,
    )
    await say("I took out the trash", "Ben")
    await ask(
        "Ana",
        "chores.add",
        what="water the plants every day",
        who=["Ben", "Lena"],
        rotation="fewest_points",
    )

    answer = await say("why me?", "Lena")

    assert answer.route == "fast"
    assert answer.text.count("\n") == 0
    assert "because you have 0 points in this window, Ben has 3" in answer.text


async def test_a_parent_may_tick_off_for_a_child_and_a_child_only_for_themselves(
    app: AppContext, ask: Ask, say: Say, family: dict[str, Member]
) -> None:
    await ask("Ana", "chores.add", what="take out the trash every day", who=["Ben", "Lena"])

    refused = await say("Lena took out the trash", "Ben")
    by_parent = await say("Ben took out the trash", "Ana")

    assert [a.status for a in refused.actions] == ["failed"]
    assert "only tick off your own" in refused.text
    assert [a.status for a in by_parent.actions] == ["done"]
    first = (await chore_turns(app))[0]
    assert (first.done_by, first.recorded_by) == (family["Ben"].id, family["Ana"].id)


async def test_german_portuguese_and_spanish_completions_find_the_chore(
    app: AppContext, ask: Ask, say: Say, family: dict[str, Member]
) -> None:
    await ask("Ana", "chores.add", what="take out the trash every day", who=["Ben"])
    await ask("Ana", "chores.add", what="empty the dishwasher every day", who=["Lena"])

    german = await say("ich habe den Müll rausgebracht", "Ben")
    portuguese = await say("já lavei a louça", "Lena")

    assert [a.status for a in german.actions] == ["done"], german.text
    assert "Take out the trash" in german.text
    assert [a.status for a in portuguese.actions] == ["done"], portuguese.text
    assert "Empty the dishwasher" in portuguese.text
    await ask("Ana", "chores.add", what="sacar la basura al reciclaje every day", who=["Ben"])
    spanish = await say("saqué la basura", "Ben")
    assert [a.status for a in spanish.actions] == ["done"], spanish.text


async def test_two_chores_that_could_both_be_meant_are_asked_about(
    app: AppContext, ask: Ask, say: Say
) -> None:
    await ask("Ana", "chores.add", what="empty the dishwasher every day", who=["Ben", "Lena"])
    await ask("Ana", "chores.add", what="load the dishwasher every day", who=["Lena", "Ben"])

    unclear = await say("I did the dishes", "Tom")
    clear = await say("I loaded the dishwasher", "Tom")

    assert "Did you mean “Empty the dishwasher” or “Load the dishwasher”?" in unclear.text
    assert [a.status for a in unclear.actions] == ["failed"]
    assert "Done: Load the dishwasher" in clear.text
    assert [t.state for t in await chore_turns(app)].count("done") == 1


async def test_an_away_member_is_skipped_and_their_turn_goes_on(
    app: AppContext, ask: Ask, say: Say, clock: ManualClock, family: dict[str, Member]
) -> None:
    await ask("Ana", "chores.add", what="feed the cat every day", who=["Ben", "Lena"])
    away = await say("/away Ben until Wednesday", "Ana")

    assert "Ben is away until Wed 07 Jan" in away.text
    assert "I gave 1 of their chores to others" in away.text
    [turn] = await chore_turns(app)
    assert turn.assignee_id == family["Lena"].id
    assert "Ben is away" in turn.reason
    done = await say("I fed the cat", "Lena")
    assert "Next: Lena, Tue 18:00" in done.text  # Ben is still away on Tuesday
    assert berlin(6, 18) == (await chore_turns(app))[-1].due_at
