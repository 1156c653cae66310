"""Long-term memory: facts a member asks Gepeto to remember, private or for the household."""

from bot.skills import Skill
from skills.memory.commands import REMEMBER as REMEMBER_COMMAND
from skills.memory.context import remembered_facts
from skills.memory.tools import FORGET, LIST, REMEMBER

SKILL = Skill(
    name="memory",
    roles={"child": ("memory.*",)},
    tools=(REMEMBER, FORGET, LIST),
    commands=(REMEMBER_COMMAND,),
    context=remembered_facts,
    keywords=("remember", "forget", "merk", "lembra", "recuerda"),
)
