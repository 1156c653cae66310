"""Questions to the family's vault: search notes, or get an answer with its sources."""

from pathlib import Path

from bot.skills import Skill
from skills.knowledge.commands import SEARCH as SEARCH_COMMAND
from skills.knowledge.settings import KnowledgeSkillSettings
from skills.knowledge.tools import ASK, SEARCH

SKILL = Skill(
    name="knowledge",
    roles={"child": ("knowledge.*",), "guest": ("knowledge.search", "knowledge.ask")},
    tools=(SEARCH, ASK),
    phrases=(Path(__file__).with_name("phrases.toml"),),
    settings=KnowledgeSkillSettings,
    commands=(SEARCH_COMMAND,),
    keywords=("how", "where", "what", "when", "why", "manual", "password", "wie", "wo", "como"),
)
