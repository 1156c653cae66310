"""AppContext: everything built once at start-up and passed explicitly to whoever needs it."""

from __future__ import annotations

from dataclasses import dataclass

import httpx
from sqlalchemy.ext.asyncio import AsyncEngine

from bot.clock import Clock
from bot.config import Config, RolePermissions, Settings
from bot.family import Family
from bot.fastpath import FastPath
from bot.llm.client import LLMClient
from bot.tools import ToolRegistry
from bot.vault_search import VaultSearch
from knowledge.vault import Vault
from storage.database import SessionFactory


@dataclass(frozen=True)
class AppContext:
    config: Config
    engine: AsyncEngine
    sessions: SessionFactory
    clock: Clock
    http: httpx.AsyncClient
    family: Family
    tools: ToolRegistry
    fastpath: FastPath
    vault: Vault
    llm: LLMClient | None = None
    knowledge: VaultSearch | None = None

    @property
    def settings(self) -> Settings:
        return self.config.settings

    def permissions(self, role: str) -> RolePermissions:
        return self.settings.safety.roles[role]
