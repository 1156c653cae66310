"""Reminders that arrive once, on time or marked late, and keep asking until someone is done."""

from pathlib import Path

from bot.skills import Skill
from skills.reminders.commands import BUTTONS, REMIND, REMINDERS
from skills.reminders.delivery import JOBS
from skills.reminders.settings import RemindersSettings
from skills.reminders.tools import ADD, CANCEL, DONE, LIST, SNOOZE

SKILL = Skill(
    name="reminders",
    roles={"child": ("reminders.*",)},
    tools=(ADD, LIST, CANCEL, SNOOZE, DONE),
    phrases=(Path(__file__).with_name("phrases.toml"),),
    settings=RemindersSettings,
    migrations=Path(__file__).with_name("migrations"),
    commands=(REMIND, REMINDERS),
    buttons=(BUTTONS,),
    jobs=JOBS,
    keywords=(
        "remind",
        "reminder",
        "reminders",
        "erinnere",
        "erinnerung",
        "lembra",
        "lembrete",
        "recuérdame",
        "recordatorio",
    ),
)
