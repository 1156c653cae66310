"""A test household with the example skill, loaded the way a family adds any skill: bot.toml."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

from tests.support.home import HOUSEHOLD_SKILL

EXAMPLE_SKILL = "tests.support.example_skill"
BERLIN = ZoneInfo("Europe/Berlin")
MONDAY_MORNING = datetime(2026, 1, 5, 7, 30, tzinfo=BERLIN)
NINE_AM = datetime(2026, 1, 5, 9, 0, tzinfo=BERLIN)


def with_example_skill(bot_toml: Path, settings: str = "reminder_hour = 9\n") -> Path:
    """Adds the example skill and its `[skills.example]` section to a test household's bot.toml."""
    text = bot_toml.read_text(encoding="utf-8")
    plugins = f'plugins = ["{HOUSEHOLD_SKILL}"]'
    assert text.count(plugins) == 1, "write_bot_toml no longer writes the plugins line"
    text = text.replace(plugins, f'plugins = ["{HOUSEHOLD_SKILL}", "{EXAMPLE_SKILL}"]')
    text += f'[household]\ntimezone = "Europe/Berlin"\n[skills.example]\n{settings}'
    bot_toml.write_text(text, encoding="utf-8")
    return bot_toml


def reminder_hour(bot_toml: Path, hour: int) -> Path:
    """Changes `[skills.example] reminder_hour` in bot.toml, as a parent would."""
    text = bot_toml.read_text(encoding="utf-8")
    assert text.count("reminder_hour = 9\n") == 1
    bot_toml.write_text(text.replace("reminder_hour = 9\n", f"reminder_hour = {hour}\n"), "utf-8")
    return bot_toml
