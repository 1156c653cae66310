"""Notes in the family's Obsidian vault: create, append, read, delete (to trash), daily notes."""

from pathlib import Path

from bot.skills import Skill
from skills.notes.settings import NotesSettings
from skills.notes.tools import APPEND, CREATE, DAILY, DELETE, READ

SKILL = Skill(
    name="notes",
    roles={"child": ("notes.create", "notes.append", "notes.read", "notes.daily")},
    tools=(CREATE, APPEND, READ, DELETE, DAILY),
    phrases=(Path(__file__).with_name("phrases.toml"),),
    settings=NotesSettings,
    keywords=("note", "notes", "journal", "diary", "write down", "notiz", "nota"),
)
