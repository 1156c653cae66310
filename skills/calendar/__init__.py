"""The family calendar: events with alarms, a daily agenda, ICS import and export, and
CalDAV sync."""

from pathlib import Path

from bot.skills import Skill
from skills.calendar.caldav import PASSWORD_ENV, SYNC_JOB, open_calendar
from skills.calendar.commands import AGENDA as AGENDA_COMMAND
from skills.calendar.pushes import ALARMS, DAILY_AGENDA
from skills.calendar.settings import CalendarSettings
from skills.calendar.tools import ADD_EVENT, AGENDA, MOVE_EVENT, REMOVE_EVENT

SKILL = Skill(
    name="calendar",
    roles={"child": ("calendar.agenda",), "guest": ("calendar.agenda",)},
    tools=(ADD_EVENT, AGENDA, REMOVE_EVENT, MOVE_EVENT),
    phrases=(Path(__file__).with_name("phrases.toml"),),
    settings=CalendarSettings,
    migrations=Path(__file__).with_name("migrations"),
    commands=(AGENDA_COMMAND,),
    secrets=(PASSWORD_ENV,),
    jobs=(ALARMS, DAILY_AGENDA, SYNC_JOB),
    setup=open_calendar,
    keywords=(
        "calendar",
        "agenda",
        "event",
        "appointment",
        "kalender",
        "termin",
        "agenda",
        "calendário",
        "calendario",
        "cita",
    ),
)
