"""The layout's import rules (docs/ARCHITECTURE.md), read from the source with `ast`.

Every import counts: at the top, inside a function, under `if TYPE_CHECKING:`, relative ones,
and `importlib.import_module("...")` with a literal name.
"""

from __future__ import annotations

import ast
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
PACKAGES = ("bot", "handlers", "skills", "knowledge", "storage")
OURS = frozenset(PACKAGES)


def within(module: str, package: str) -> bool:
    return module == package or module.startswith(package + ".")


def skill_of(module: str) -> str | None:
    """`lists` for `skills.lists.tools`; None outside a skill's package."""
    parts = module.split(".")
    return parts[1] if len(parts) > 1 and parts[0] == "skills" else None


@dataclass(frozen=True)
class Rule:
    says: str
    broken_by: Callable[[str, str], bool]
    """(importing module, imported module) -> True when that import breaks the rule."""


RULES = (
    Rule(
        "only bot/channels/ imports a chat SDK (aiogram, matrix-nio)",
        lambda importer, imported: (
            (within(imported, "aiogram") or within(imported, "nio"))
            and not within(importer, "bot.channels")
        ),
    ),
    Rule(
        "only bot/llm/ imports ollama",
        lambda importer, imported: within(imported, "ollama") and not within(importer, "bot.llm"),
    ),
    Rule(
        "only knowledge/ imports llama-index or chromadb",
        lambda importer, imported: (
            (within(imported, "llama_index") or within(imported, "chromadb"))
            and not within(importer, "knowledge")
        ),
    ),
    Rule(
        "bot/ imports no skill (skills are loaded by name from [skills] plugins)",
        lambda importer, imported: within(importer, "bot") and within(imported, "skills"),
    ),
    Rule(
        "handlers/ import no skill (their tables are built from the loaded skills)",
        lambda importer, imported: within(importer, "handlers") and within(imported, "skills"),
    ),
    Rule(
        "channels import no handlers",
        lambda importer, imported: (
            within(importer, "bot.channels") and within(imported, "handlers")
        ),
    ),
    Rule(
        "skills never import bot.channels",
        lambda importer, imported: within(importer, "skills") and within(imported, "bot.channels"),
    ),
    Rule(
        "a skill imports no other skill",
        lambda importer, imported: (
            skill_of(importer) is not None
            and skill_of(imported) is not None
            and skill_of(importer) != skill_of(imported)
        ),
    ),
    Rule(
        "knowledge/ imports storage only, of our packages",
        lambda importer, imported: (
            within(importer, "knowledge")
            and imported.split(".")[0] in OURS - {"knowledge", "storage"}
        ),
    ),
    Rule(
        "storage/ imports nothing of ours",
        lambda importer, imported: (
            within(importer, "storage") and imported.split(".")[0] in OURS - {"storage"}
        ),
    ),
)


@dataclass(frozen=True)
class Import:
    line: int
    module: str


def module_name(path: Path) -> str:
    """`bot.channels.telegram` for bot/channels/telegram.py, `skills.lists` for its __init__."""
    parts = list(path.with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def imports_of(relative: Path, source: str) -> Iterator[Import]:
    """Every module the source imports, wherever the import statement sits."""
    importer = module_name(relative)
    package = importer if relative.name == "__init__.py" else importer.rpartition(".")[0]
    for node in ast.walk(ast.parse(source, filename=str(relative))):
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield Import(node.lineno, alias.name)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                anchor = package.split(".")
                anchor = anchor[: len(anchor) - (node.level - 1)]
                base = ".".join([*anchor, *([node.module] if node.module else [])])
            else:
                base = node.module or ""
            if base:
                yield Import(node.lineno, base)
            # `from bot import channels` imports the module bot.channels.
            for alias in node.names:
                yield Import(node.lineno, f"{base}.{alias.name}" if base else alias.name)
        elif (
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Attribute)
            and node.func.attr == "import_module"
            and node.args
            and isinstance(node.args[0], ast.Constant)
            and isinstance(node.args[0].value, str)
        ):
            yield Import(node.lineno, node.args[0].value)


def broken_rules(relative: Path, source: str, rules: tuple[Rule, ...] = RULES) -> list[str]:
    """`file:line: imports X — rule`, once per import statement and rule it breaks."""
    importer = module_name(relative)
    found: dict[tuple[int, str], str] = {}
    for rule in rules:
        for imported in imports_of(relative, source):
            if rule.broken_by(importer, imported.module):
                found.setdefault((imported.line, rule.says), imported.module)
    return [
        f"{relative}:{line}: imports {module} — {says}"
        for (line, says), module in sorted(found.items())
    ]


def our_sources() -> list[Path]:
    return sorted(
        path.relative_to(REPO) for package in PACKAGES for path in (REPO / package).rglob("*.py")
    )


def test_every_package_is_read() -> None:
    read = {path.parts[0] for path in our_sources()}
    assert read == OURS
    assert Path("bot/channels/telegram.py") in our_sources()
    assert Path("storage/migrations/env.py") in our_sources()


@pytest.mark.parametrize("rule", RULES, ids=lambda rule: rule.says)
def test_the_code_keeps_the_rule(rule: Rule) -> None:
    broken = [
        line
        for path in our_sources()
        for line in broken_rules(path, (REPO / path).read_text(encoding="utf-8"), (rule,))
    ]
    assert not broken, "\n".join(broken)


def test_a_chat_sdk_in_handlers_is_caught_wherever_it_is_imported() -> None:
    source = (
        "from typing import TYPE_CHECKING\n"
        "import aiogram\n"
        "if TYPE_CHECKING:\n"
        "    from nio import AsyncClient\n"
        "def send() -> None:\n"
        "    from aiogram.types import Message\n"
    )
    assert broken_rules(Path("handlers/text.py"), source) == [
        "handlers/text.py:2: imports aiogram — "
        "only bot/channels/ imports a chat SDK (aiogram, matrix-nio)",
        "handlers/text.py:4: imports nio — "
        "only bot/channels/ imports a chat SDK (aiogram, matrix-nio)",
        "handlers/text.py:6: imports aiogram.types — "
        "only bot/channels/ imports a chat SDK (aiogram, matrix-nio)",
    ]


def test_a_skill_import_from_bot_is_caught_in_every_spelling() -> None:
    source = (
        "import importlib\n"
        "from skills.system import tools\n"
        "from skills import lists\n"
        "importlib.import_module('skills.notes')\n"
    )
    broken = broken_rules(Path("bot/doctor.py"), source)
    assert [line.split(" — ")[0] for line in broken] == [
        "bot/doctor.py:2: imports skills.system",
        "bot/doctor.py:3: imports skills",
        "bot/doctor.py:4: imports skills.notes",
    ]


def test_relative_imports_are_resolved_before_the_rules_apply() -> None:
    assert broken_rules(Path("skills/lists/tools.py"), "from . import checklist\n") == []
    assert broken_rules(Path("skills/lists/tools.py"), "from ..notes import tools\n") == [
        "skills/lists/tools.py:1: imports skills.notes — a skill imports no other skill",
    ]
    assert broken_rules(Path("storage/models.py"), "from .. import bot\n") == [
        "storage/models.py:1: imports bot — storage/ imports nothing of ours",
    ]
    assert broken_rules(Path("skills/notes/tools.py"), "from bot import channels\n") == [
        "skills/notes/tools.py:1: imports bot.channels — skills never import bot.channels",
    ]
