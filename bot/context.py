"""AppContext: everything built once at start-up and passed explicitly to whoever needs it."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

# Types only: every handler imports the context, and must not import the HTTP client, the
# scheduler or the LLM client with it (issue 11 item 10).
if TYPE_CHECKING:
    from collections.abc import Mapping

    from sqlalchemy.ext.asyncio import AsyncEngine

    from bot.clock import Clock
    from bot.config import Config, RolePermissions, Settings
    from bot.family import Family
    from bot.fastpath import FastPath
    from bot.http_client import SharedHttpClient
    from bot.llm.client import LLMClient
    from bot.media import Media
    from bot.metrics import Metrics
    from bot.notify import Notifier
    from bot.redact import Redactor
    from bot.scheduler import Scheduler
    from bot.services import SkillServices
    from bot.skills import Command, Skill
    from bot.tools import AnyTool, ToolRegistry
    from bot.vault_search import VaultSearch
    from bot.workers import WorkerPool
    from knowledge.vault import Vault
    from storage.database import SessionFactory


@dataclass(frozen=True)
class LoadedSkill:
    """A skill with the services it was given."""

    skill: Skill
    services: SkillServices


@dataclass(frozen=True)
class AppContext:
    config: Config
    engine: AsyncEngine
    sessions: SessionFactory
    clock: Clock
    http: SharedHttpClient
    family: Family
    tools: ToolRegistry
    fastpath: FastPath
    vault: Vault
    skills: tuple[LoadedSkill, ...]
    commands: tuple[Command, ...]
    roles: Mapping[str, RolePermissions]
    """Who may do what: `[safety.roles]` as written, else the defaults and the skills' own."""
    notify: Notifier
    scheduler: Scheduler
    redact: Redactor
    workers: WorkerPool
    media: Media
    llm: LLMClient | None = None
    knowledge: VaultSearch | None = None
    metrics: Metrics = field(default_factory=lambda: _new_metrics())

    @property
    def settings(self) -> Settings:
        return self.config.settings

    def permissions(self, role: str) -> RolePermissions:
        return self.roles[role]

    def services_for(self, tool: AnyTool) -> SkillServices:
        """The services of the skill that brought this tool."""
        return self.skill(self.tools.skill_of(tool.name)).services

    def skill(self, name: str) -> LoadedSkill:
        return next(loaded for loaded in self.skills if loaded.skill.name == name)


def _new_metrics() -> Metrics:
    from bot.metrics import Metrics  # prometheus_client only once an app is built

    return Metrics()
