"""A household whose house is the small fake Home Assistant (failure cases on demand)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from bot.config import Config, load_config
from tests.fakes.home_assistant import TOKEN, FakeHomeAssistant, running, small_house
from tests.support.home import HOUSEHOLD_SKILL, write_bot_toml

HOME = """
[skills.home]
url = "{url}"
expose_entities = ["light.kitchen_*", "lock.front_door", "cover.garage_door"]
aliases = {{ "cover.garage_door" = ["garage"] }}
wait_s = 0.3
confirm_over = 1
roles = {{ child = ["light.*"] }}
events = [{{ entity = "lock.front_door", to = ["unlocked"], members = ["Ana"] }}]
"""


@pytest.fixture
async def house() -> AsyncIterator[FakeHomeAssistant]:
    async with running(small_house()) as fake:
        yield fake


def home_bot_toml(directory: Path, home: str) -> Path:
    """A test household's bot.toml without the test skill, whose "unlock the {door} door"
    phrase would answer before Home Assistant's templates."""
    path = write_bot_toml(directory, home)
    path.write_text(path.read_text().replace(f'plugins = ["{HOUSEHOLD_SKILL}"]', "plugins = []"))
    return path


@pytest.fixture
def bot_toml(tmp_path: Path, house: FakeHomeAssistant) -> Path:
    return home_bot_toml(tmp_path, HOME.format(url=house.url))


@pytest.fixture
def config(bot_toml: Path) -> Config:
    return load_config(bot_toml, environ={"HOME_ASSISTANT_TOKEN": TOKEN})


# The real Home Assistant (session-scoped `home_assistant_venv`, `home_assistant_core`).
from tests.fakes.home_assistant_core import (  # noqa: E402
    HomeAssistantCore,
    home_assistant_core,
    home_assistant_venv,
)

__all__ = ["home_assistant_core", "home_assistant_venv"]

DEMO_AREAS = {
    "light.kitchen_lights": "Kitchen",
    "light.ceiling_lights": "Living Room",
    "cover.garage_door": "Garage",
    "climate.heatpump": "Kids Room",
}


@pytest.fixture(scope="session")
def demo_house(home_assistant_core: HomeAssistantCore) -> HomeAssistantCore:
    """The demo's devices put into the family's rooms, as a person would in the UI."""
    import asyncio

    async def arrange() -> None:
        core = home_assistant_core
        await core.wait_for_entities(list(DEMO_AREAS))
        areas = await core.websocket_command(core.token, {"type": "config/area_registry/list"})
        ids = {area["name"]: area["area_id"] for area in areas}
        for name in set(DEMO_AREAS.values()) - set(ids):
            created = await core.websocket_command(
                core.token, {"type": "config/area_registry/create", "name": name}
            )
            ids[name] = created["area_id"]
        for entity_id, area in DEMO_AREAS.items():
            await core.websocket_command(
                core.token,
                {
                    "type": "config/entity_registry/update",
                    "entity_id": entity_id,
                    "area_id": ids[area],
                },
            )

    asyncio.run(arrange())
    return home_assistant_core
