"""The skill contract and loading: built-in skills plus the family's own plugin modules."""

from __future__ import annotations

import importlib
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

from bot.tools import AnyTool

BUILTIN_SKILLS = (
    "skills.lists",
    "skills.notes",
    "skills.knowledge",
    "skills.memory",
    "skills.system",
)


@dataclass(frozen=True)
class Skill:
    """What a skill module exports as `SKILL`: its tools and its fast-path phrase files."""

    name: str
    tools: tuple[AnyTool, ...]
    phrases: tuple[Path, ...] = field(default_factory=tuple)


class SkillLoadError(Exception):
    """A configured skill module that cannot be used; names the module and why."""


def load_skills(plugins: Iterable[str] = ()) -> list[Skill]:
    """Imports every built-in skill and each `[skills] plugins` module, in that order."""
    found = []
    for module_name in (*BUILTIN_SKILLS, *plugins):
        try:
            module = importlib.import_module(module_name)
        except ImportError as error:
            raise SkillLoadError(
                f"skills.plugins: cannot import {module_name!r}: {error}"
            ) from None
        skill = getattr(module, "SKILL", None)
        if not isinstance(skill, Skill):
            raise SkillLoadError(f"skills.plugins: {module_name!r} has no SKILL = Skill(...)")
        found.append(skill)
    return found
