"""The machines Gepeto thinks with: GPUs, Ollama endpoints, loaded models, queues."""

from bot.skills import Skill
from skills.system.tools import STATUS

SKILL = Skill(name="system", tools=(STATUS,))
