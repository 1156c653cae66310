"""The machines Gepeto thinks with: GPUs, Ollama endpoints, loaded models, queues."""

from bot.skills import Skill
from skills.system.commands import STATUS as STATUS_COMMAND
from skills.system.tools import STATUS

SKILL = Skill(
    name="system",
    tools=(STATUS,),
    commands=(STATUS_COMMAND,),
    keywords=("gpu", "gpus", "model", "models", "ollama", "queue", "status", "server"),
)
