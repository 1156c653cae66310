"""`[skills.example]`: the hour of the daily water reminder."""

from __future__ import annotations

from pydantic import Field

from bot.config import Section


class WaterSettings(Section):
    """A `Section` refuses unknown keys, so a typo in bot.toml stops start-up naming the key."""

    reminder_hour: int = Field(default=9, ge=0, le=23, description="hour of the daily reminder")

    @property
    def reminder_rule(self) -> str:
        """The daily recurrence of the reminder, in the household's timezone."""
        return f"FREQ=DAILY;BYHOUR={self.reminder_hour};BYMINUTE=0"
