"""The fast path: everyday phrases mapped straight to tool calls, no LLM needed.

Each skill ships a `phrases.toml`; every `[[intent]]` names a tool, the patterns per language
(`{slot}` marks where an argument sits) and what kind of value each slot holds.
"""

from __future__ import annotations

import re
import tomllib
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from bot.spoken import WHEN_START, digits

SLOT = re.compile(r"\{(\w+)\}")
REGEX_PARTS = re.compile(r"\([^)]*\)[?*+]?|[\\^$.|?*+\[\]]")
SLOT_PATTERNS = {
    "items": r".+?",
    "text": r".+?",
    "spoken": r".+?",
    "amount": r".+?",
    "when": rf"(?={WHEN_START}).+?",
    "word": r"[\w'’-]+(?: [\w'’-]+)?",
}
"""Slot kinds. In "spoken", "amount" and "when" slots numbers said in words become digits
("63 euros 10"); an "amount" must hold a number and a "when" starts like a day or a time."""
SPOKEN_KINDS = frozenset({"spoken", "amount", "when"})
SLOT_EDGES = " ,;:"
"""A transcript's commas ("training for Oliver, on Wednesday") are not part of a slot."""
ITEM_SEPARATORS = re.compile(r"\s*,\s*(?:and\s+|und\s+)?|\s+(?:and|und|&|e|y|et)\s+", re.I)
POLITE_WORDS = re.compile(
    r"^(?:(?:please|pls|bitte|hey|hi|ok|okay)[\s,]+)+|[\s,]+(?:please|pls|bitte|thanks|danke)$",
    re.I,
)
LITERAL_WORD = re.compile(r"[^\W\d_]+")
LEADING_QUANTIFIERS = re.compile(r"^(?:some|more|etwas|noch)\s+", re.I)


class PhraseError(Exception):
    """A phrase file that cannot be used; names the file and the intent."""


@dataclass(frozen=True)
class Intent:
    tool: str
    patterns: tuple[re.Pattern[str], ...]
    slots: dict[str, str]
    defaults: dict[str, Any]
    unless: tuple[re.Pattern[str], ...] = ()
    whole_text: str | None = None
    weights: tuple[int, ...] = ()
    """Per pattern, how many literal characters it has: the more, the more specific."""
    words: frozenset[str] = frozenset()
    """The literal words of its patterns (slots left out), for choosing the LLM's tools."""
    slots_into: str | None = None
    """Slot values go into this one argument (a table) instead of beside the defaults."""
    languages: tuple[str, ...] = ()
    """Per pattern, the language it is written in (the key it came from: en, de, pt, es)."""

    def language(self, index: int) -> str:
        return self.languages[index] if index < len(self.languages) else ""


@dataclass(frozen=True)
class FastMatch:
    tool: str
    args: dict[str, Any]


def split_items(text: str) -> list[str]:
    """'oat milk, eggs and bread' → ['oat milk', 'eggs', 'bread']."""
    parts = (
        LEADING_QUANTIFIERS.sub("", part.strip(" .!")) for part in ITEM_SEPARATORS.split(text)
    )
    return [part for part in parts if part]


def normalize(text: str) -> str:
    text = " ".join(text.replace("’", "'").split())
    text = text.rstrip(" .!")
    previous = None
    while previous != text:
        previous, text = text, POLITE_WORDS.sub("", text).strip()
    return text


def literal_words(template: str) -> list[str]:
    """'(add|put) {items} to the list' → ['add', 'put', 'to', 'the', 'list']."""
    return LITERAL_WORD.findall(SLOT.sub(" ", template))


def compile_pattern(template: str, slots: dict[str, str]) -> re.Pattern[str]:
    """'add {items} to the {list_name} list' → a full-match, case-insensitive regex."""

    def slot(match: re.Match[str]) -> str:
        name = match[1]
        if name not in slots:
            raise PhraseError(f"slot {{{name}}} has no kind in [intent.slots]")
        return f"(?P<{name}>{SLOT_PATTERNS[slots[name]]})"

    body = SLOT.sub(slot, template.strip())
    body = re.sub(r"\s+", r"\\s+", body)
    return re.compile(rf"^{body}\??$", re.IGNORECASE)


Recognizer = Callable[[str], "FastMatch | None"]
"""Matching done in code against live state (a skill's `recognize`), tried after the phrases."""


class FastPath:
    """Tries every intent's patterns; the most specific full match wins (most literal text),
    so "where is {text}" never takes "where is the shopping list" from the lists skill,
    whichever skill was loaded first. Ties go to the earlier intent."""

    def __init__(
        self, intents: Iterable[Intent] = (), recognizers: Iterable[Recognizer] = ()
    ) -> None:
        self.intents = list(intents)
        self.recognizers = list(recognizers)

    @classmethod
    def from_files(cls, paths: Iterable[Path]) -> FastPath:
        return cls(intent for path in paths for intent in _read_intents(path))

    def match(self, text: str) -> FastMatch | None:
        cleaned = normalize(text)
        best: tuple[int, Intent, re.Match[str], int] | None = None
        for intent in self.intents:
            if any(pattern.match(cleaned) for pattern in intent.unless):
                continue
            for index, pattern in enumerate(intent.patterns):
                found = pattern.match(cleaned)
                weight = intent.weights[index] if index < len(intent.weights) else 0
                if found is None or not _holds_amounts(intent, found, intent.language(index)):
                    continue
                if best is None or weight > best[0]:
                    best = (weight, intent, found, index)
        if best is None:
            return next(filter(None, (recognize(text) for recognize in self.recognizers)), None)
        _weight, intent, found, index = best
        args = _arguments(intent, found, intent.language(index))
        if intent.whole_text:
            args[intent.whole_text] = text.strip()
        return FastMatch(tool=intent.tool, args=args)


def _holds_amounts(intent: Intent, found: re.Match[str], language: str) -> bool:
    """'I paid attention to the teacher' is no expense: an amount slot needs a number, and a
    word slot is no number ("I paid 63 euro for ten at …" has no category "ten")."""
    for name, value in found.groupdict().items():
        kind = intent.slots[name]
        if value is None or kind not in ("amount", "word"):
            continue
        written = digits(value, language)
        if kind == "amount" and not any(char.isdigit() for char in written):
            return False
        if kind == "word" and written.strip().isdigit():
            return False
    return True


def _arguments(intent: Intent, found: re.Match[str], language: str) -> dict[str, Any]:
    args = dict(intent.defaults)
    into = args
    if intent.slots_into:
        into = args[intent.slots_into] = dict(args.get(intent.slots_into, {}))
    for name, value in found.groupdict().items():
        if value is None:
            continue
        kind = intent.slots[name]
        if kind == "items":
            into[name] = split_items(value)
        elif kind in SPOKEN_KINDS:
            into[name] = digits(value.strip(SLOT_EDGES), language)
        else:
            into[name] = value.strip(SLOT_EDGES)
    return args


def _literal_length(template: str) -> int:
    """Characters a template always matches: no slots, no (a|b) choices, no regex signs."""
    fixed = REGEX_PARTS.sub("", SLOT.sub("", template))
    return len(" ".join(fixed.split()))


def _read_intents(path: Path) -> list[Intent]:
    with path.open("rb") as handle:
        data = tomllib.load(handle)
    intents = []
    for number, entry in enumerate(data.get("intent", []), start=1):
        where = f"{path}: intent {number}"
        try:
            slots = dict(entry.get("slots", {}))
            unknown = {kind for kind in slots.values() if kind not in SLOT_PATTERNS}
            if unknown:
                raise PhraseError(f"unknown slot kind {sorted(unknown)[0]!r}")
            written = [(key, t) for key, ts in entry.items() if len(key) == 2 for t in ts]
            templates = [template for _language, template in written]
            intents.append(
                Intent(
                    tool=entry["tool"],
                    patterns=tuple(compile_pattern(t, slots) for t in templates),
                    slots=slots,
                    defaults=dict(entry.get("defaults", {})),
                    unless=tuple(re.compile(rf"^{u}", re.I) for u in entry.get("unless", [])),
                    whole_text=entry.get("whole_text"),
                    weights=tuple(_literal_length(t) for t in templates),
                    words=frozenset(word for t in templates for word in literal_words(t)),
                    languages=tuple(language for language, _template in written),
                )
            )
        except (KeyError, PhraseError, re.error) as error:
            raise PhraseError(f"{where}: {error}") from None
    return intents
