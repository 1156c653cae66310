"""The skill contract and loading: built-in skills plus the family's own plugin modules.

A skill is one package that exports `SKILL = Skill(...)`. Besides its tools and fast-path
phrases it may bring its settings section (`[skills.<name>]`), the secrets it reads, its own
migrations and tables, slash commands, button prefixes, media handlers, scheduled job kinds,
a prompt-context provider, `gepeto doctor` rows and a `setup` that owns its clients. Nothing
outside its folder (and `bot.toml`) changes when a skill is added.
"""

from __future__ import annotations

import difflib
import importlib
import importlib.util
import pkgutil
from collections.abc import Awaitable, Callable, Iterable, Mapping, Sequence
from contextlib import AbstractAsyncContextManager
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from pydantic import BaseModel, SecretStr, ValidationError

from bot.tools import AnyTool

if TYPE_CHECKING:
    from bot.actions import Turn
    from bot.checks import Check
    from bot.config import RolePermissions
    from bot.family import Member
    from bot.fastpath import FastMatch, Intent
    from bot.messages import Attachment, AttachmentKind, Outcome
    from bot.scheduler import Firing
    from bot.services import SkillServices

SKILL_NAME_CHARS = frozenset("abcdefghijklmnopqrstuvwxyz0123456789_")


@dataclass(frozen=True)
class Command:
    """A slash command: `/name ARGUMENT`; shown to members who may use all of `tools`."""

    name: str
    run: Callable[[Turn, str], Awaitable[Outcome]]
    usage: str
    tools: tuple[str, ...] = ()


@dataclass(frozen=True)
class ButtonAction:
    """Buttons whose data starts with `prefix:`; `run` gets the rest (e.g. `snooze:12:10m`)."""

    prefix: str
    run: Callable[[Turn, str], Awaitable[Outcome]]


@dataclass(frozen=True)
class MediaHandler:
    """Handles attachments of these kinds; returns None when they are not for this skill."""

    kinds: tuple[AttachmentKind, ...]
    run: Callable[[Turn, tuple[Attachment, ...]], Awaitable[Outcome | None]]


@dataclass(frozen=True)
class JobKind:
    """A kind of scheduled work; the scheduler calls `run` once per firing of each job."""

    name: str
    run: Callable[[SkillServices, Firing], Awaitable[None]]


@dataclass(frozen=True)
class PromptContext:
    """Lines for the model's system prompt; `from_others` when they hold others' words."""

    lines: tuple[str, ...] = ()
    from_others: bool = False
    """True makes the turn untrusted: anything above `read` then asks the member first."""


ContextProvider = Callable[["SkillServices", "Member"], Awaitable[PromptContext]]
"""What the model should know about this member from the skill (fenced where untrusted).
Only called for members who may use one of the skill's `read` tools."""
DoctorChecks = Callable[["SkillServices"], Awaitable[Sequence["Check"]]]
Setup = Callable[["SkillServices", Mapping[str, SecretStr]], AbstractAsyncContextManager[object]]
"""Entered at start-up with the skill's secrets, closed at shutdown; what it yields is the
skill's client (`services.client_as(...)`)."""


@dataclass(frozen=True)
class Skill:
    """What a skill module exports as `SKILL`."""

    name: str
    tools: tuple[AnyTool, ...] = ()
    phrases: tuple[Path, ...] = ()
    settings: type[BaseModel] | None = None
    secrets: tuple[str, ...] = ()
    migrations: Path | None = None
    commands: tuple[Command, ...] = ()
    buttons: tuple[ButtonAction, ...] = ()
    media: tuple[MediaHandler, ...] = ()
    jobs: tuple[JobKind, ...] = ()
    context: ContextProvider | None = None
    checks: DoctorChecks | None = None
    setup: Setup | None = None
    roles: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    """What children and guests may use of this skill unless `[safety.roles.<role>]` in bot.toml
    says otherwise: tool patterns by role, e.g. `{"child": ("chores.list", "chores.complete")}`.
    Parents and adults may use every tool."""
    keywords: tuple[str, ...] = field(default_factory=tuple)
    """Words that suggest this skill's tools in a message (besides its phrases and tool text)."""
    configure: Callable[[Any], Skill] | None = None
    """Builds the parts that depend on the family's settings (tools, `intents` from a catalog in
    `[skills.<name>]`); called once at start-up with the validated settings."""
    intents: tuple[Intent, ...] = ()
    """Fast-path intents built in code (usually by `configure`), after those of `phrases`."""
    recognize: Callable[[SkillServices, str], FastMatch | None] | None = None
    """Fast-path matching against live state (Home Assistant's sentence templates over the
    exposed entities), tried when no phrase matched."""


class SkillLoadError(Exception):
    """A configured skill module that cannot be used; names the module and why."""


def builtin_skills() -> list[str]:
    """Every package under `skills/`, by name: a new skill folder is found without an edit."""
    spec = importlib.util.find_spec("skills")
    folders = list(spec.submodule_search_locations or []) if spec else []
    return sorted(
        f"skills.{module.name}" for module in pkgutil.iter_modules(folders) if module.ispkg
    )


def load_skills(plugins: Iterable[str] = ()) -> list[Skill]:
    """Imports every built-in skill and each `[skills] plugins` module, in that order."""
    found: list[Skill] = []
    for module_name in (*builtin_skills(), *plugins):
        try:
            module = importlib.import_module(module_name)
        except ImportError as error:
            raise SkillLoadError(
                f"skills.plugins: cannot import {module_name!r}: {error}"
            ) from None
        skill = getattr(module, "SKILL", None)
        if not isinstance(skill, Skill):
            raise SkillLoadError(f"skills.plugins: {module_name!r} has no SKILL = Skill(...)")
        _check_shape(skill, module_name, found)
        found.append(skill)
    return found


def role_permissions(
    written: Mapping[str, RolePermissions], skills: Iterable[Skill]
) -> dict[str, RolePermissions]:
    """Each role's permissions: as written in `[safety.roles]`, else the household's defaults
    (parents and adults everything, adults not the family itself) plus every skill's own."""
    from bot.config import RolePermissions, default_roles

    given: dict[str, list[str]] = {}
    for skill in skills:
        for role, patterns in skill.roles.items():
            given.setdefault(role, []).extend(patterns)
    roles = default_roles()
    for role, permissions in roles.items():
        extra = given.get(role, [])
        roles[role] = RolePermissions(allow=[*permissions.allow, *extra], deny=permissions.deny)
    roles.update(written)
    return roles


def migration_folders(skills: Iterable[Skill]) -> list[Path]:
    """The skills' own migrations folders, each a branch on the core head."""
    return [skill.migrations for skill in skills if skill.migrations is not None]


def _check_shape(skill: Skill, module_name: str, earlier: list[Skill]) -> None:
    if not skill.name or not set(skill.name) <= SKILL_NAME_CHARS:
        raise SkillLoadError(f"{module_name}: skill name {skill.name!r} must be lower_snake_case")
    clash = next((other for other in earlier if other.name == skill.name), None)
    if clash is not None:
        raise SkillLoadError(f"{module_name}: there is already a skill called {skill.name!r}")
    taken_commands = {command.name for other in earlier for command in other.commands}
    taken_buttons = {button.prefix for other in earlier for button in other.buttons}
    for command in skill.commands:
        if command.name in taken_commands or command.name in CORE_COMMANDS:
            raise SkillLoadError(f"{module_name}: /{command.name} is already taken")
    for button in skill.buttons:
        if button.prefix in taken_buttons or button.prefix in CORE_BUTTONS:
            raise SkillLoadError(f"{module_name}: button prefix {button.prefix!r} is taken")
    for role, patterns in skill.roles.items():
        if role not in SKILL_ROLES:
            raise SkillLoadError(
                f"{module_name}: roles: {role!r} is not a role a skill gives defaults to "
                f"({', '.join(SKILL_ROLES)})"
            )
        outside = [p for p in patterns if not p.startswith(f"{skill.name}.")]
        if outside:
            raise SkillLoadError(
                f"{module_name}: roles.{role}: {outside[0]!r} is not one of {skill.name}'s tools"
            )


CORE_COMMANDS = frozenset({"start", "help", "pair"})
SKILL_ROLES = ("child", "guest")
"""Parents and adults may use every tool; a skill says what the other roles get by default."""
CORE_BUTTONS = frozenset({"confirm"})


def skill_settings(
    skills: Sequence[Skill], sections: Mapping[str, Any], source: Path | None
) -> dict[str, BaseModel]:
    """Validates each `[skills.<name>]` table against its skill's model, naming the exact key."""
    from bot.config import ConfigError, describe_errors
    from bot.services import NoSettings

    by_name = {skill.name: skill for skill in skills}
    problems: list[str] = []
    for name in sections:
        if name not in by_name:
            hint = difflib.get_close_matches(name, list(by_name), n=1)
            problems.append(
                f"{source}: skills.{name}: no skill called {name!r}"
                + (f" (did you mean {hint[0]!r}?)" if hint else "")
            )
    found: dict[str, BaseModel] = {}
    for skill in skills:
        raw = sections.get(skill.name, {})
        model = skill.settings or NoSettings
        if not isinstance(raw, dict):
            problems.append(f"{source}: skills.{skill.name}: must be a table")
            continue
        try:
            found[skill.name] = model.model_validate(raw)
        except ValidationError as error:
            problems.append(describe_errors(error, model, source, ("skills", skill.name)))
    if problems:
        raise ConfigError("\n".join(problems))
    return found
