"""Shopping and to-do lists kept as Markdown checklists in the vault."""

from pathlib import Path

from bot.skills import Skill
from skills.lists.commands import LIST
from skills.lists.settings import ListsSettings
from skills.lists.tools import ADD, CHECK, SHOW

SKILL = Skill(
    name="lists",
    roles={"child": ("lists.*",), "guest": ("lists.show",)},
    tools=(ADD, CHECK, SHOW),
    phrases=(Path(__file__).with_name("phrases.toml"),),
    settings=ListsSettings,
    commands=(LIST,),
    keywords=("list", "shopping", "buy", "need", "groceries", "einkauf", "compras", "lista"),
)
