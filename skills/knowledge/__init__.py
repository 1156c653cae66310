"""Questions to the family's vault: search notes, or get an answer with its sources."""

from pathlib import Path

from bot.skills import Skill
from skills.knowledge.tools import ASK, SEARCH

SKILL = Skill(
    name="knowledge",
    tools=(SEARCH, ASK),
    phrases=(Path(__file__).with_name("phrases.toml"),),
)
