"""`[skills.chores]`: when chores are due, how often Gepeto nags, the points window, rewards."""

from __future__ import annotations

from datetime import time

from pydantic import Field, field_validator

from bot.config import Section
from skills.chores.models import ROTATIONS

DEFAULT_REWARDS = {"30 minutes of screen time": 10, "choose dinner": 15, "stay up 30 minutes": 20}


class ChoresSettings(Section):
    due_time: time = time(18, 0)
    """When a chore is due on its day, unless it says otherwise ("by 7pm")."""
    remind_every_minutes: int = Field(default=120, ge=10, le=7 * 24 * 60)
    """The nag window: while a chore is open its member hears at most once per window."""
    reminders: int = Field(default=2, ge=0, le=10)
    """Reminders to the member after the first push; one window later a parent is told."""
    rotation: str = "round_robin"
    """How a new chore picks whose turn it is, unless it says: round_robin, fewest_points,
    random."""
    points_window_days: int = Field(default=30, ge=1, le=365)
    """fewest_points compares the effort points each member earned over this many days."""
    rewards: dict[str, int] = Field(default_factory=lambda: dict(DEFAULT_REWARDS))
    """What points can buy, and how many each costs; a parent approves every claim."""

    @field_validator("rotation")
    @classmethod
    def _known_rotation(cls, value: str) -> str:
        if value not in ROTATIONS:
            raise ValueError(f"rotation must be one of {', '.join(ROTATIONS)}")
        return value

    @field_validator("rewards")
    @classmethod
    def _positive_costs(cls, value: dict[str, int]) -> dict[str, int]:
        if any(cost < 1 for cost in value.values()):
            raise ValueError("every reward costs at least 1 point")
        return value
