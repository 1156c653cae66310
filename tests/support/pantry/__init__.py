"""A plugin skill for tests that keeps its own table, created by its own migration branch."""

from __future__ import annotations

from pathlib import Path

from bot.skills import Skill
from tests.support.pantry.models import PantryItem

__all__ = ["SKILL", "PantryItem"]

SKILL = Skill(name="pantry", migrations=Path(__file__).parent / "migrations")
