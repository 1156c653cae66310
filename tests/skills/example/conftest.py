"""Every test here runs in a household with the example skill, on a Monday morning in Berlin."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.clock import ManualClock
from tests.skills.example.household import MONDAY_MORNING, with_example_skill
from tests.support.home import write_bot_toml


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock(MONDAY_MORNING)


@pytest.fixture
def bot_toml(tmp_path: Path) -> Path:
    return with_example_skill(write_bot_toml(tmp_path))
