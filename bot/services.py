"""SkillServices: the narrow set of things a skill's tools, jobs and handlers may use.

Never the whole app, the engine or a secret: a skill gets sessions, the clock, the shared HTTP
client, the vault and its search, the LLM, `notify.push`, the scheduler, the worker pool, the
downloader of members' files, the household's settings, its own settings section and a logger.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, TypeVar

from pydantic import BaseModel

from bot.config import Section

if TYPE_CHECKING:
    import httpx

    from bot.backup import BackupPlan
    from bot.clock import Clock
    from bot.config import HouseholdSettings
    from bot.family import Family
    from bot.http_client import SharedHttpClient
    from bot.jobs import SkillJobs
    from bot.llm.client import LLMClient
    from bot.media import Media
    from bot.notify import Notifier
    from bot.vault_search import VaultSearch
    from bot.workers import WorkerPool
    from knowledge.vault import Vault
    from storage.database import SessionFactory

SettingsT = TypeVar("SettingsT", bound=BaseModel)
ClientT = TypeVar("ClientT")


class NoSettings(Section):
    """The settings of a skill that declares none: any key under it is a mistake."""


@dataclass(frozen=True)
class SkillServices:
    skill: str
    settings: BaseModel
    household: HouseholdSettings
    data_dir: Path
    sessions: SessionFactory
    clock: Clock
    shared_http: SharedHttpClient
    family: Family
    vault: Vault
    search: VaultSearch | None
    llm: LLMClient | None
    notify: Notifier
    jobs: SkillJobs
    workers: WorkerPool
    media: Media
    log: logging.Logger
    backup: BackupPlan = field(repr=False)
    """What a backup copies and where it goes (the system skill's scheduled backup)."""
    held: dict[str, object] = field(default_factory=dict, repr=False)
    """What the skill's `setup` yielded while the bot runs (its client)."""

    @property
    def http(self) -> httpx.AsyncClient:
        """The household's shared HTTP client (opened on first use)."""
        return self.shared_http.client

    def settings_as(self, kind: type[SettingsT]) -> SettingsT:
        """This skill's own `[skills.<name>]` section, typed as the skill declared it."""
        if not isinstance(self.settings, kind):
            raise TypeError(f"skill {self.skill} has {type(self.settings).__name__} settings")
        return self.settings

    def client_as(self, kind: type[ClientT]) -> ClientT:
        """The client the skill's `setup` opened; a clear error when it is not running."""
        client = self.held.get("client")
        if not isinstance(client, kind):
            raise RuntimeError(f"skill {self.skill} has no running {kind.__name__}")
        return client
