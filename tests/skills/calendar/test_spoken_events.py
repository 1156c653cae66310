"""Events said aloud (issue 14): everyday ways to add one, with the day and the time in words,
in four languages, reach calendar.add_event on the fast path and land at the right minute."""

from __future__ import annotations

import pytest

from bot.family import Member
from tests.support.home import FamilyChats, MakeIncoming

# The household's clock: Monday 5 January 2026, 10:00 in Berlin.


@pytest.mark.parametrize(
    ("said", "added"),
    [
        (
            "Book the piano lesson for Mia on Tuesday at half past four.",
            "the piano lesson for Mia: tomorrow at 16:30–17:30",
        ),
        ("Schedule the vet on Friday at eleven fifteen", "the vet: Fri 09 Jan at 11:15–12:15"),
        (
            "Put the school concert on Thursday at seven in the evening in the calendar",
            "the school concert: Thu 08 Jan at 19:00–20:00",
        ),
        (
            "Trag Zahnarzt für Lena am Mittwoch um Viertel nach drei ein",
            "Zahnarzt für Lena: Wed 07 Jan at 15:15–16:15",
        ),
        (
            "Trag den Elternabend am Donnerstag um halb acht abends in den Kalender ein",
            "den Elternabend: Thu 08 Jan at 19:30–20:30",
        ),
        (
            "Marca na agenda a consulta do Pedro na sexta às dez e meia",
            "a consulta do Pedro: Fri 09 Jan at 10:30–11:30",
        ),
        (
            "Agenda o jantar com os avós no sábado às oito da noite",
            "o jantar com os avós: Sat 10 Jan at 20:00–21:00",
        ),
        (
            "Apunta en la agenda el dentista de Lucía el miércoles a las cinco menos cuarto",
            "el dentista de Lucía: Wed 07 Jan at 16:45–17:45",
        ),
        (
            "Pon la reunión del colegio el viernes a las seis de la tarde en el calendario",
            "la reunión del colegio: Fri 09 Jan at 18:00–19:00",
        ),
    ],
)
async def test_an_event_said_in_words_is_added_at_its_minute_without_the_llm(
    chats: FamilyChats, parent: Member, make_incoming: MakeIncoming, said: str, added: str
) -> None:
    outcome = await chats.send(make_incoming(said))

    assert outcome.route == "fast"
    assert [(a.tool, a.status) for a in outcome.actions] == [("calendar.add_event", "done")]
    assert outcome.text == f"Added {added}."


@pytest.mark.parametrize(
    "said",
    [
        "Book a flight to Lisbon",
        "Can you schedule the dentist on Friday at ten?",
        "what's on the calendar for friday",
        "Schedule?",
        "trag das bitte ein",
    ],
)
async def test_sentences_that_add_no_event_are_left_alone(
    chats: FamilyChats, parent: Member, make_incoming: MakeIncoming, said: str
) -> None:
    outcome = await chats.send(make_incoming(said))

    assert "calendar.add_event" not in [a.tool for a in outcome.actions]


async def test_an_event_at_a_written_hour_without_am_or_pm_is_in_the_afternoon(
    chats: FamilyChats, parent: Member, make_incoming: MakeIncoming
) -> None:
    # Whisper writes "quarter to four" as "3.45"; nobody's football training is at 03:45.
    outcome = await chats.send(
        make_incoming("Schedule football training for Noah on Wednesday at 3.45")
    )

    assert outcome.text == "Added football training for Noah: Wed 07 Jan at 15:45–16:45."
