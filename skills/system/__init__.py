"""The machines Gepeto thinks with (GPUs, Ollama endpoints, models, queues) and its upkeep
(downloaded media cleared, scheduled backups)."""

from bot.skills import Skill
from skills.system.backups import BACKUP
from skills.system.commands import STATUS as STATUS_COMMAND
from skills.system.media_cleanup import MEDIA_CLEANUP, keep_media_tidy
from skills.system.tools import STATUS

SKILL = Skill(
    name="system",
    tools=(STATUS,),
    commands=(STATUS_COMMAND,),
    jobs=(MEDIA_CLEANUP, BACKUP),
    setup=keep_media_tidy,
    keywords=("gpu", "gpus", "model", "models", "ollama", "queue", "status", "server"),
)
