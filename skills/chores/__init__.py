"""Chores: fair rotation that nags once per window, points and rewards, all in the chat."""

from pathlib import Path

from bot.skills import Skill
from skills.chores.adding import ADD, ASSIGN
from skills.chores.away import AWAY
from skills.chores.commands import AWAY as AWAY_COMMAND
from skills.chores.commands import BUTTONS, CHORES
from skills.chores.completing import APPROVE, COMPLETE
from skills.chores.listing import LIST
from skills.chores.nags import JOBS
from skills.chores.rewards import CLAIM, REWARDS
from skills.chores.settings import ChoresSettings
from skills.chores.stats import STATS
from skills.chores.swapping import SWAP

SKILL = Skill(
    name="chores",
    roles={
        "child": (
            "chores.list",
            "chores.complete",
            "chores.stats",
            "chores.swap",
            "chores.rewards",
            "chores.claim",
        )
    },
    tools=(ADD, COMPLETE, LIST, ASSIGN, SWAP, STATS, REWARDS, CLAIM, AWAY, APPROVE),
    phrases=(Path(__file__).with_name("phrases.toml"),),
    settings=ChoresSettings,
    migrations=Path(__file__).with_name("migrations"),
    commands=(CHORES, AWAY_COMMAND),
    buttons=(BUTTONS,),
    jobs=JOBS,
    keywords=(
        "chore",
        "chores",
        "dishes",
        "dishwasher",
        "laundry",
        "trash",
        "turn",
        "points",
        "reward",
        "hausarbeit",
        "abwasch",
        "aufgabe",
        "aufgaben",
        "müll",
        "dran",
        "tarefa",
        "tarefas",
        "louça",
        "vez",
        "tarea",
        "tareas",
        "toca",
        "basura",
    ),
)
