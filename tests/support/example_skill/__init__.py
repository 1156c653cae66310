"""Water: a tiny skill that uses every part of the skill contract — the example to copy.

`/water` (or "I drank a glass of water") records a glass in the skill's own table and answers
with an Undo button; whoever drinks gets a daily reminder at `[skills.example] reminder_hour`,
pushed to their private chat; the model is told how many glasses the member had today; and
`gepeto doctor` shows the reminders and whom they cannot reach. Nothing outside this folder
knows the skill exists: bot.toml loads it with
`[skills] plugins = ["tests.support.example_skill"]`.
"""

from pathlib import Path

from bot.skills import Skill
from tests.support.example_skill.chat import BUTTONS, WATER
from tests.support.example_skill.glasses import DRINK, UNDO, glasses_today
from tests.support.example_skill.reminders import (
    REMIND,
    keep_reminders_at_the_hour,
    reminder_rows,
)
from tests.support.example_skill.settings import WaterSettings

HERE = Path(__file__).parent

SKILL = Skill(
    name="example",
    roles={"child": ("example.drink",)},
    tools=(DRINK, UNDO),
    phrases=(HERE / "phrases.toml",),
    settings=WaterSettings,
    migrations=HERE / "migrations",
    commands=(WATER,),
    buttons=(BUTTONS,),
    jobs=(REMIND,),
    context=glasses_today,
    checks=reminder_rows,
    setup=keep_reminders_at_the_hour,
    keywords=("water", "drink", "glass", "wasser"),
)
