"""`[skills.notes]`: where daily notes go and how they are named."""

from __future__ import annotations

from bot.config import Section


class NotesSettings(Section):
    daily_folder: str = "Daily"
    daily_format: str = "%Y-%m-%d"
