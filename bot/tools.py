"""The tool contract: one object per action, shared by commands, the fast path and the LLM."""

from __future__ import annotations

import fnmatch
import functools
import json
from collections.abc import Awaitable, Callable, Iterable, Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from typing import TYPE_CHECKING, Any, Generic, TypeVar

from pydantic import BaseModel

from bot.config import RolePermissions

if TYPE_CHECKING:
    from bot.context import AppContext
    from bot.family import Member


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
    """What a tool may use while it runs: the app, who asked, and from which chat."""

    app: AppContext
    member: Member
    channel: str
    chat_id: str


@dataclass(frozen=True)
class ToolResult:
    """`text` is shown to the family; `data` goes back to the LLM."""

    text: str
    data: Mapping[str, Any] = field(default_factory=dict)


ArgsT = TypeVar("ArgsT", bound=BaseModel)


@dataclass(frozen=True)
class Tool(Generic[ArgsT]):
    name: str
    description: str
    args: type[ArgsT]
    risk: Risk
    run: Callable[[ToolContext, ArgsT], Awaitable[ToolResult]]
    describe: Callable[[ArgsT], str] | None = None
    idempotent: bool = True
    untrusted_output: bool = False
    """True when the result carries text others wrote (vault notes, web, OCR): data, not orders."""

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
    """Every tool the bot knows, by name."""

    def __init__(self, tools: Iterable[AnyTool] = ()) -> None:
        self._tools: dict[str, AnyTool] = {}
        for tool in tools:
            self.add(tool)

    def add(self, tool: AnyTool) -> None:
        if tool.name in self._tools:
            raise ValueError(f"two tools are called {tool.name}")
        self._tools[tool.name] = tool

    def get(self, name: str) -> AnyTool | None:
        return self._tools.get(name)

    def __iter__(self) -> Any:
        return iter(self._tools.values())

    def names(self) -> list[str]:
        return sorted(self._tools)

    def allowed(self, permissions: RolePermissions) -> list[AnyTool]:
        return [tool for tool in self._tools.values() if is_allowed(permissions, tool.name)]


def is_allowed(permissions: RolePermissions, tool_name: str) -> bool:
    """Deny patterns win over allow patterns; both are shell-style (`lists.*`)."""
    if any(fnmatch.fnmatchcase(tool_name, pattern) for pattern in permissions.deny):
        return False
    return any(fnmatch.fnmatchcase(tool_name, pattern) for pattern in permissions.allow)
