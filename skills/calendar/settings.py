"""`[skills.calendar]`: default alarms, how late an alarm may still come, the daily agenda."""

from __future__ import annotations

import re

from pydantic import Field, field_validator

from bot.config import Section

CLOCK = re.compile(r"^([01]\d|2[0-3]):([0-5]\d)$")
EVERYONE = "everyone"


class CalDavSettings(Section):
    """`[skills.calendar.caldav]`: a family calendar on a CalDAV server, kept in step."""

    url: str
    """The calendar collection, e.g. https://dav.example.org/family/calendar/ (ends with /)."""
    username: str = ""
    """The password comes from the environment variable CALDAV_PASSWORD."""
    sync_minutes: int = Field(default=15, ge=1, le=24 * 60)

    @field_validator("url")
    @classmethod
    def _collection(cls, value: str) -> str:
        if not value.startswith(("http://", "https://")):
            raise ValueError(f"{value!r} is not an http(s) address of a calendar")
        return value if value.endswith("/") else value + "/"


class CalendarSettings(Section):
    default_alarms: list[int] = Field(default_factory=lambda: [15])
    """Minutes before a timed event its alarms ring, when the event names none."""
    alarm_catch_up_minutes: int = Field(default=60, ge=0)
    """An alarm the bot could not ring on time (it was down) still comes this much later."""
    agenda_time: str = "07:00"
    """When the daily agenda is pushed, household time (HH:MM)."""
    daily_agenda: list[str] = Field(default_factory=list)
    """Members (by name) who get the daily agenda, or ["everyone"]; empty: nobody."""
    agenda_catch_up_minutes: int = Field(default=120, ge=0)
    caldav: CalDavSettings | None = None
    """Two-way sync with a family calendar on a CalDAV server; none when absent."""

    @field_validator("agenda_time")
    @classmethod
    def _clock_time(cls, value: str) -> str:
        if not CLOCK.match(value):
            raise ValueError(f"{value!r} is not a time of day like 07:00")
        return value

    @field_validator("default_alarms")
    @classmethod
    def _minutes(cls, value: list[int]) -> list[int]:
        if any(minutes < 0 or minutes > 7 * 24 * 60 for minutes in value):
            raise ValueError("alarms are minutes before the event, from 0 to 10080 (a week)")
        return sorted(set(value), reverse=True)

    @property
    def agenda_clock(self) -> tuple[int, int]:
        hour, minute = self.agenda_time.split(":")
        return int(hour), int(minute)

    def gets_agenda(self, name: str) -> bool:
        wanted = {entry.casefold() for entry in self.daily_agenda}
        return EVERYONE in wanted or name.casefold() in wanted
