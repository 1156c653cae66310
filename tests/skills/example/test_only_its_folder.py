"""Adding the example skill needed no edit outside its folder (issue 11 item 11): everything it
brings is defined under tests/support/example_skill/, and no core file knows its names."""

from __future__ import annotations

import inspect
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

import tests.support.example_skill as example
from tests.support.example_skill import SKILL
from tests.support.example_skill.models import Glass
from tests.support.home import REPO

FOLDER = Path(example.__file__).parent
CORE = ("bot", "handlers", "skills", "storage", "knowledge")
ITS_NAMES = ("example_skill", "example_glass", "example.drink", "example.undo", "example:undo")


def defined_in(thing: Callable[..., Any]) -> Path:
    return Path(inspect.getfile(inspect.unwrap(thing))).resolve()


def test_every_part_of_the_skill_is_defined_in_its_folder() -> None:
    assert SKILL.context is not None
    assert SKILL.checks is not None
    assert SKILL.setup is not None
    assert SKILL.settings is not None
    parts: list[Callable[..., Any]] = [
        *(tool.run for tool in SKILL.tools),
        *(command.run for command in SKILL.commands),
        *(button.run for button in SKILL.buttons),
        *(job.run for job in SKILL.jobs),
        SKILL.context,
        SKILL.checks,
        SKILL.setup,
        SKILL.settings,
        Glass,
    ]
    files = {defined_in(part) for part in parts}
    files |= {path.resolve() for path in SKILL.phrases}
    assert SKILL.migrations is not None
    files |= set(SKILL.migrations.resolve().glob("*.py"))

    assert all(file.is_relative_to(FOLDER.resolve()) for file in files), files
    assert len(list(SKILL.migrations.glob("*.py"))) == 1
    assert (SKILL.commands[0].name, SKILL.buttons[0].prefix) == ("water", "example")
    assert {job.name for job in SKILL.jobs} == {"remind"}


@pytest.mark.parametrize("package", CORE)
def test_no_core_file_mentions_the_skill(package: str) -> None:
    mentions = [
        f"{path.relative_to(REPO)}: {name}"
        for path in (REPO / package).rglob("*")
        if path.is_file() and path.suffix in (".py", ".toml", ".mako")
        for name in ITS_NAMES
        if name in path.read_text(encoding="utf-8")
    ]

    assert mentions == []
