"""`[skills.knowledge]`: how many notes a search or an answer uses."""

from __future__ import annotations

from pydantic import Field

from bot.config import Section


class KnowledgeSkillSettings(Section):
    results: int = Field(default=5, ge=1, le=20)
