"""Word error rate of a transcript against what was said, as the voice development set counts it.

Both sides are normalised the way ../shared/data/voice/baseline.py does it: lower case, no
punctuation, "wi-fi" → "wifi", "p.m." → "pm", and digits spelled out in the note's language
("€63.10" → "sixty three euros ten", "10:30" → "ten thirty"), because the truth sentences are
written the way espeak-ng speaks them while Whisper writes numbers as digits.
"""

from __future__ import annotations

import re

from num2words import num2words
from rapidfuzz.distance import Levenshtein

CURRENCY = {"en": "euros", "de": "euro", "pt": "euros", "es": "euros"}


def _spelled(number: str, language: str) -> str:
    return str(num2words(int(number), lang=language)).replace("-", " ")


def normalise(text: str, language: str) -> str:
    """`text` as the words a speaker says, for comparing transcripts word by word."""
    said = text.lower()
    said = re.sub(r"\bwi-?fi\b", "wifi", said)
    said = re.sub(r"\b([ap])\.\s?m\.?", r"\1m", said)
    euros = CURRENCY.get(language, "euros")

    def money(match: re.Match[str]) -> str:
        cents = f" {_spelled(match[2], language)}" if match[2] else ""
        return f"{_spelled(match[1], language)} {euros}{cents}"

    said = re.sub(r"€\s?(\d+)(?:[.,](\d\d))?\b", money, said)
    said = re.sub(r"\b(\d+)[.,](\d\d)\s?(?:€|euros?\b)", money, said)

    def clock(match: re.Match[str]) -> str:
        minutes = "" if match[2] == "00" else f" {_spelled(match[2], language)}"
        return _spelled(match[1], language) + minutes

    said = re.sub(r"\b(\d{1,2})[:.](\d\d)\b", clock, said)
    said = re.sub(r"\d+", lambda match: f" {_spelled(match[0], language)} ", said)
    said = said.replace("-", " ")
    said = re.sub(r"[^\w\s']", " ", said)
    said = re.sub(r"(?<!\w)'|'(?!\w)", " ", said)
    return " ".join(said.split())


def word_errors(truth: str, heard: str, language: str) -> tuple[int, int]:
    """(words wrong, missing or extra in `heard`; words in `truth`), after normalising both."""
    said = normalise(truth, language).split()
    return Levenshtein.distance(said, normalise(heard, language).split()), len(said)
