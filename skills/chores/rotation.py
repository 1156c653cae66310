"""Whose turn it is: round-robin in a fixed order, fewest effort points per day at home, or
random except whoever did it last. Members who are away are skipped and not penalised.

Pure functions of what the records say, so every choice can be explained in one line.
"""

from __future__ import annotations

import random
from collections.abc import Sequence
from dataclasses import dataclass


@dataclass(frozen=True)
class Candidate:
    """A member taking part, as the rotation sees them for one turn."""

    member_id: int
    name: str
    away: bool = False
    points: int = 0
    """Effort points earned over the window, across all chores."""
    days_home: int = 1
    """Days of the window they were not away: points are compared per day at home."""


@dataclass(frozen=True)
class Choice:
    member_id: int
    reason: str
    """"Why me?" in one line, addressed to the member."""


def _names(names: Sequence[str]) -> str:
    return names[0] if len(names) == 1 else ", ".join(names[:-1]) + " and " + names[-1]


def _after(candidates: Sequence[Candidate], last: int | None) -> list[Candidate]:
    """The fixed order, starting just after `last` (from the top when nobody did it yet)."""
    ids = [c.member_id for c in candidates]
    start = ids.index(last) + 1 if last in ids else 0
    return [*candidates[start:], *candidates[:start]]


def _away_note(candidates: Sequence[Candidate]) -> str:
    away = [c.name for c in candidates if c.away]
    if not away:
        return ""
    verb = "is" if len(away) == 1 else "are"
    return f"; {_names(away)} {verb} away"


def choose(rotation: str, candidates: Sequence[Candidate], last: int | None, seed: str) -> Choice:
    """The member for the next turn; `last` is whose turn the previous one was (rotation-wise)."""
    if not candidates:
        raise ValueError("a chore needs at least one member taking part")
    present = [c for c in candidates if not c.away]
    note = _away_note(candidates)
    if not present:
        present, note = list(candidates), "; everyone taking part is away, so it stays in turn"
    by_name = {c.member_id: c.name for c in candidates}
    if rotation == "fewest_points":
        ordered = [c for c in _after(candidates, last) if c in present]
        chosen = min(ordered, key=lambda c: c.points / max(c.days_home, 1))
        others = [f"{c.name} has {c.points}" for c in present if c is not chosen]
        shown = f"you have {chosen.points} points in this window"
        return Choice(
            chosen.member_id, shown + (", " + ", ".join(others) if others else "") + note
        )
    if rotation == "random":
        pool = [c for c in present if c.member_id != last] or present
        chosen = random.Random(seed).choice(pool)
        did = f" ({by_name[last]} had it last time)" if last in by_name else ""
        return Choice(chosen.member_id, f"drawn at random{did}{note}")
    chosen = next(c for c in _after(candidates, last) if c in present)
    order = f"order: {_names([c.name for c in candidates])}"
    if last in by_name and last != chosen.member_id:
        return Choice(chosen.member_id, f"it's your turn after {by_name[last]} ({order}){note}")
    return Choice(chosen.member_id, f"it's your turn ({order}){note}")
