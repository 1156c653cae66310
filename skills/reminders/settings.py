"""`[skills.reminders]`: catch-up windows, re-send schedule and the time used for a bare date."""

from __future__ import annotations

from datetime import time

from pydantic import Field

from bot.config import Section


class RemindersSettings(Section):
    catch_up_minutes: int = Field(default=60, ge=0)
    """How late a reminder may still be pushed after the bot was down (marked late)."""
    short_notice_minutes: int = Field(default=120, ge=0)
    """Reminders made for less than this far ahead ("take the pizza out") are short-lived..."""
    short_catch_up_minutes: int = Field(default=15, ge=0)
    """...and get this catch-up window instead: past it they are recorded as missed."""
    resend_after_minutes: list[int] = Field(default_factory=lambda: [10, 30])
    """When an unacknowledged reminder is sent again, counted from its push; then it stops."""
    default_time: time = time(9, 0)
    """The time of day for a reminder given only a day ("tomorrow", "every Monday")."""
