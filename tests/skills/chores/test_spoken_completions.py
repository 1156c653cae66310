"""Chores reported done by voice (issue 14): "mark … as done" and its German, Portuguese and
Spanish forms tick off the member's chore on the fast path, and other things stay unticked."""

from __future__ import annotations

import pytest

from bot.family import Member
from tests.skills.chores.conftest import Ask, Say


@pytest.mark.parametrize(
    "said",
    [
        "Mark the recycling as done",
        "I already took out the recycling, mark it as done",
        "Markiere das Altpapier als erledigt",
        "Marca a reciclagem como feita",
        "Marca el reciclaje como hecho",
    ],
)
async def test_marking_a_chore_as_done_in_four_languages_ticks_it_off(
    ask: Ask, say: Say, family: dict[str, Member], said: str
) -> None:
    await ask(
        "Ana",
        "chores.add",
        what="take out the recycling every day",
        who=["Ben"],
        aliases=["Altpapier", "reciclagem", "reciclaje"],
    )
    await ask("Ana", "chores.add", what="feed the cat every day", who=["Ben"])

    outcome = await say(said, "Ben")

    assert outcome.route == "fast"
    assert [(a.tool, a.status) for a in outcome.actions] == [("chores.complete", "done")]
    assert "Take out the recycling" in outcome.text


async def test_marking_something_else_as_bought_is_no_chore(
    say: Say, family: dict[str, Member]
) -> None:
    outcome = await say("mark the milk as bought", "Ben")

    assert "chores.complete" not in [a.tool for a in outcome.actions]
