"""The benchmark's word error rate counts what a listener would: "€63.10" is "sixty three euros
ten", so a transcript is wrong only where the words are."""

from __future__ import annotations

from tests.skills.voice.word_errors import normalise, word_errors


def test_numbers_whisper_writes_as_digits_count_as_the_spoken_words() -> None:
    assert word_errors(
        "I paid sixty three euros ten at the hardware store.",
        "I paid €63.10 at the hardware store.",
        "en",
    ) == (0, 10)
    assert word_errors(
        "In der Buchhandlung habe ich vierzehn Euro achtzig bezahlt.",
        "In der Buchhandlung habe ich 14,80 Euro bezahlt.",
        "de",
    ) == (0, 9)
    assert normalise("Remind me at 8:45, p.m. on the Wi-Fi", "en") == (
        "remind me at eight forty five pm on the wifi"
    )


def test_a_misheard_word_counts_once() -> None:
    assert word_errors(
        "Schalte bitte die Heizung im Badezimmer ein.",
        "Schalte bitter die Heizung im Badezimmer ein.",
        "de",
    ) == (1, 7)


def test_nothing_heard_is_every_word_missed() -> None:
    assert word_errors("Could you open the blinds in the kitchen, please?", "", "en") == (9, 9)
