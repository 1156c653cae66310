"""The tool contract: one object per action, shared by commands, the fast path and the LLM."""

from __future__ import annotations

import fnmatch
import functools
import json
from collections.abc import Awaitable, Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from typing import TYPE_CHECKING, Any, Generic, TypeVar

from pydantic import BaseModel

from bot.config import RolePermissions

if TYPE_CHECKING:
    from bot.family import Member
    from bot.services import SkillServices

DEFAULT_TIMEOUT_S = 60.0


class Risk(StrEnum):
    READ = "read"
    WRITE = "write"
    SENSITIVE = "sensitive"
    CRITICAL = "critical"

    @property
    def needs_confirmation(self) -> bool:
        return self in (Risk.SENSITIVE, Risk.CRITICAL)


class ToolError(Exception):
    """An expected failure with a sentence fit for the family (list not found, bad date...)."""


@dataclass(frozen=True)
class ToolContext:
    """What a tool may use while it runs: its skill's services, who asked, and from which chat."""

    services: SkillServices
    member: Member
    channel: str
    chat_id: str


@dataclass(frozen=True)
class ToolResult:
    """`text` is shown to the family; `data` goes back to the LLM."""

    text: str
    data: Mapping[str, Any] = field(default_factory=dict)
    image_path: str | None = None
    file_path: str | None = None
    """A picture (a chart) or a file (an export) sent with `text`."""


ArgsT = TypeVar("ArgsT", bound=BaseModel)


@dataclass(frozen=True)
class Tool(Generic[ArgsT]):
    name: str
    description: str
    args: type[ArgsT]
    risk: Risk | Callable[[ArgsT], Risk]
    """A fixed level, or one that depends on the arguments (the Home Assistant domain...)."""
    run: Callable[[ToolContext, ArgsT], Awaitable[ToolResult]]
    describe: Callable[[ArgsT], str] | None = None
    idempotent: bool = True
    untrusted_output: bool = False
    """True when the result carries text others wrote (lists, notes, facts, OCR): data."""
    asks_after_untrusted_text: bool = False
    """True: even a `read` call asks first in a turn that read others' words (ssh: the model may
    have been talked into probing a machine; every other tool asks only above `read`)."""
    timeout_s: float = DEFAULT_TIMEOUT_S
    """`run_action` stops waiting after this long, so a hung call never holds a chat."""
    refuse: Callable[[ToolContext, ArgsT], str | None] | None = None
    """A sentence when this member may never make this call (an entity they may not touch, a
    service nobody may call): checked before any question, audited as refused."""

    def risk_for(self, args: ArgsT) -> Risk:
        """The risk of this call with these arguments."""
        return self.risk if isinstance(self.risk, Risk) else self.risk(args)

    def summary(self, args: ArgsT) -> str:
        """The exact action in words, as shown in a confirmation question."""
        if self.describe is not None:
            return self.describe(args)
        shown = ", ".join(f"{key}={value!r}" for key, value in args.model_dump().items())
        return f"{self.name}({shown})"

    def schema(self) -> dict[str, Any]:
        """The Ollama/OpenAI function schema for this tool (a fresh copy each time)."""
        return {
            "type": "function",
            "function": {
                "name": self.name,
                "description": self.description,
                "parameters": json.loads(self._parameters),
            },
        }

    @functools.cached_property
    def _parameters(self) -> str:
        """The arguments' JSON schema, built once: pydantic takes ≈1 ms a tool, every turn."""
        return json.dumps(self.args.model_json_schema())


AnyTool = Tool[Any]


class ToolRegistry:
    """Every tool the bot knows, by name, with the skill that brought it."""

    def __init__(self, tools: Iterable[tuple[str, AnyTool]] = ()) -> None:
        self._tools: dict[str, AnyTool] = {}
        self._skills: dict[str, str] = {}
        for skill, tool in tools:
            self.add(skill, tool)

    def add(self, skill: str, tool: AnyTool) -> None:
        if tool.name in self._tools:
            raise ValueError(f"two tools are called {tool.name}")
        self._tools[tool.name] = tool
        self._skills[tool.name] = skill

    def get(self, name: str) -> AnyTool | None:
        return self._tools.get(name)

    def skill_of(self, name: str) -> str:
        """The skill a known tool belongs to."""
        return self._skills[name]

    def __iter__(self) -> Iterator[AnyTool]:
        return iter(self._tools.values())

    def __len__(self) -> int:
        return len(self._tools)

    def names(self) -> list[str]:
        return sorted(self._tools)

    def allowed(self, permissions: RolePermissions) -> list[AnyTool]:
        return [tool for tool in self._tools.values() if is_allowed(permissions, tool.name)]


def is_allowed(permissions: RolePermissions, tool_name: str) -> bool:
    """Deny patterns win over allow patterns; both are shell-style (`lists.*`)."""
    if any(fnmatch.fnmatchcase(tool_name, pattern) for pattern in permissions.deny):
        return False
    return any(fnmatch.fnmatchcase(tool_name, pattern) for pattern in permissions.allow)
