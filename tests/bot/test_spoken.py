"""Spoken numbers and clock times (issue 14): a voice note, written as the tools read it."""

from __future__ import annotations

import pytest

from bot.spoken import clock_times, digits


@pytest.mark.parametrize(
    ("said", "language", "written"),
    [
        ("sixty three euros ten", "en", "63 euros 10"),
        ("vierzehn Euro achtzig", "de", "14 Euro 80"),
        ("trinta e dois reais e cinquenta", "pt", "32 reais e 50"),
        ("doce euros con cincuenta", "es", "12 euros con 50"),
        ("na sexta às oito", "pt", "na sexta às 8"),
        ("el sábado a las diez y cuarto", "es", "el sábado a las 10 y cuarto"),
        ("wait a second", "en", "wait a second"),
        ("call one of the kids", "en", "call one of the kids"),
        ("zwölf Eier", "xx", "zwölf Eier"),
    ],
)
def test_spoken_numbers_become_digits_and_day_names_stay_words(
    said: str, language: str, written: str
) -> None:
    assert digits(said, language) == written


@pytest.mark.parametrize(
    ("said", "written"),
    [
        ("Wednesday at quarter to 4", "Wednesday at 15:45"),
        ("at quarter past 9", "at 09:15"),
        ("at half past 7 in the evening", "at 19:30"),
        ("Thursday at 8 45", "Thursday at 08:45"),
        ("at 3 30", "at 15:30"),
        ("am Mittwoch um halb 4", "am Mittwoch um 15:30"),
        ("um Viertel nach 7 abends", "um 19:15"),
        ("um 15 Uhr 30", "um 15:30"),
        ("el jueves a las 9 de la noche", "el jueves a las 21:00"),
        ("a las 8 menos cuarto de la mañana", "a las 07:45"),
        ("a las 5 y media", "a las 17:30"),
        ("na sexta às 8 e meia da noite", "na sexta às 20:30"),
        ("quinze para as 5", "16:45"),
        ("amanhã às duas e meia", "amanhã às 14:30"),
        # What the tools already read is left as it is.
        ("at 4", "at 4"),
        ("at 10:30", "at 10:30"),
        ("am Montag", "am Montag"),
    ],
)
def test_clock_phrases_become_24_hour_times_in_the_afternoon_unless_said(
    said: str, written: str
) -> None:
    assert clock_times(said) == written


@pytest.mark.parametrize(
    ("written", "event_time"),
    [
        ("Wednesday at 3.45", "Wednesday at 15:45"),
        ("at 4", "at 16:00"),
        ("às 5:30", "às 17:30"),
        ("at 10", "at 10:00"),
        ("at 4 am", "at 4 am"),
        ("at 4pm", "at 4pm"),
        ("um 7 Uhr", "um 7 Uhr"),
        ("at 04:30", "at 04:30"),
        ("at 2 in the morning", "at 02:00"),
        ("um 3 nachts", "um 03:00"),
        ("às 2 da noite", "às 02:00"),
        ("at 11 at night", "at 23:00"),
        ("a las 9 de la noche", "a las 21:00"),
        ("at 12 at night", "at 00:00"),
    ],
)
def test_an_events_written_hour_is_in_the_afternoon_unless_said(
    written: str, event_time: str
) -> None:
    assert clock_times(written, bare_hours=True) == event_time
