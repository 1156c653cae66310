"""Long-term memory: facts a member asks Gepeto to remember, private or for the household."""

from bot.skills import Skill
from skills.memory.tools import FORGET, LIST, REMEMBER

SKILL = Skill(name="memory", tools=(REMEMBER, FORGET, LIST))
