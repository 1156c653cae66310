"""Reminders said aloud (issue 14): the day and the time in words ("quarter past seven", "halb
sechs", "nove e meia", "ocho y cuarto de la tarde") set the reminder at that minute, no LLM."""

from __future__ import annotations

import pytest

from bot.family import Member
from tests.support.home import FamilyChats, MakeIncoming

# The household's clock: Friday 27 March 2026, 09:00 in Berlin.


@pytest.mark.parametrize(
    ("said", "when", "what"),
    [
        (
            "Remind me on Monday at quarter past seven to water the plants",
            "Mon 30 Mar at 07:15",
            "water the plants",
        ),
        (
            "Remind me tomorrow at eight forty five to call the plumber",
            "tomorrow at 08:45",
            "call the plumber",
        ),
        (
            "Erinnere mich am Dienstag um halb sechs an den Elternabend",
            "Tue 31 Mar at 17:30",
            "Elternabend",
        ),
        (
            "Lembra-me na quarta às nove e meia de pagar a conta da luz",
            "Wed 01 Apr at 09:30",
            "pagar a conta da luz",
        ),
        (
            "Recuérdame el jueves a las ocho y cuarto de la tarde llamar a la abuela",
            "Thu 02 Apr at 20:15",
            "llamar a la abuela",
        ),
    ],
)
async def test_a_reminder_said_in_words_comes_at_the_minute_said(
    chats: FamilyChats,
    parent: Member,
    make_incoming: MakeIncoming,
    said: str,
    when: str,
    what: str,
) -> None:
    outcome = await chats.send(make_incoming(said))

    assert outcome.route == "fast"
    assert [(a.tool, a.status) for a in outcome.actions] == [("reminders.add", "done")]
    assert f"I'll remind you {when}: " in outcome.text
    assert what in outcome.text
