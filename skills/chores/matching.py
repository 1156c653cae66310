"""Which chore a sentence is about: its name and aliases, fuzzily (rapidfuzz), in the family's
four languages — "I emptied the dishwasher", "ich habe den Müll rausgebracht", "já lavei a louça".

Common chore words of each language stand for one shared word before comparing, so a chore
named in English is found from German, Portuguese or Spanish too.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

SAME_THING = {
    "dishes": "dish dishes dishwasher geschirr spülmaschine geschirrspüler abwasch louça loiça "
    "lava-louça lava-louças pratos platos lavavajillas vajilla trastes",
    "trash": "trash rubbish garbage bin bins müll mülleimer abfall lixo basura",
    "laundry": "laundry washing clothes wäsche roupa roupas ropa colada",
    "vacuum": "vacuum vacuumed hoover hoovered staubsaugen staubgesaugt gesaugt aspirar aspirei "
    "aspirador aspiradora aspiré",
    "plants": "plants plant flowers pflanzen blumen plantas flores",
    "dog": "dog hund cão cachorro perro",
    "cat": "cat katze gato",
    "bathroom": "bathroom toilet bad badezimmer klo banheiro baño",
    "kitchen": "kitchen küche cozinha cocina",
    "table": "table tisch mesa",
    "bed": "bed beds bett betten cama camas",
    "room": "room bedroom zimmer quarto cuarto habitación",
    "floor": "floor boden chão suelo piso",
    "lawn": "lawn grass rasen grama relva césped",
}
CANONICAL = {word: key for key, words in SAME_THING.items() for word in words.split()}
ARTICLES = frozenset(
    {
        "the",
        "a",
        "an",
        "my",
        "our",
        "his",
        "her",
        "den",
        "die",
        "das",
        "dem",
        "der",
        "ein",
        "eine",
        "o",
        "os",
        "as",
        "um",
        "uma",
        "el",
        "la",
        "los",
        "las",
        "un",
        "una",
        "i",
        "ich",
        "eu",
        "yo",
        "me",
        "mich",
        "já",
        "ya",
        "just",
        "already",
        "have",
        "has",
    }
)
WORD = re.compile(r"[\w'-]+")
ENOUGH = 72.0
"""A chore matches when its best score reaches this (0-100)."""
VERB_BONUS = 8.0
TOO_CLOSE = 6.0
"""Two chores whose scores are this close could both be meant: ask."""


@dataclass(frozen=True)
class Named:
    """Something that can be named: a chore (by id) with its name and aliases."""

    key: int
    names: tuple[str, ...]


def canonical(text: str) -> str:
    words = [w for w in WORD.findall(text.casefold()) if w not in ARTICLES]
    return " ".join(CANONICAL.get(word, word) for word in words)


def score(thing: str, said: str, names: Sequence[str]) -> float:
    """How well a sentence names one of `names`: the thing done (`thing`: "the dishwasher")
    counts most, the whole sentence ("I emptied the dishwasher") tells close ones apart."""
    from rapidfuzz import fuzz  # only once a chore is named, not at every start-up

    heard = canonical(thing or said)
    if not heard:
        return 0.0
    best = 0.0
    for name in names:
        known = canonical(name)
        if not known:
            continue
        main = fuzz.token_set_ratio(heard, known)
        whole = fuzz.WRatio((said or thing).casefold(), name.casefold())
        best = max(best, 0.8 * main + 0.2 * whole + _same_verb(thing, said, name))
    return best


def _same_verb(thing: str, said: str, name: str) -> float:
    """VERB_BONUS when the sentence's other words share a stem with the name ("emptied" and
    "Empty the dishwasher"), which tells "empty" from "load" the dishwasher."""
    others = set(WORD.findall(said.casefold())) - set(WORD.findall(thing.casefold())) - ARTICLES
    named = set(WORD.findall(name.casefold())) - ARTICLES
    for word in others:
        for known in named:
            stem = min(len(word), len(known), 4)
            if stem >= 3 and word[:stem] == known[:stem]:
                return VERB_BONUS
    return 0.0


def best_matches(thing: str, said: str, choices: Sequence[Named]) -> list[Named]:
    """The one chore meant; several when they are too close to tell; none when none fits."""
    scored = sorted(((score(thing, said, c.names), c) for c in choices), key=lambda p: -p[0])
    good = [(value, choice) for value, choice in scored if value >= ENOUGH]
    if not good:
        return []
    top = good[0][0]
    return [choice for value, choice in good if top - value < TOO_CLOSE]
