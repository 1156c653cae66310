"""Issue 15 fast path in German, Portuguese and Spanish: Home Assistant's own templates, over
the exposed entities only.

Home Assistant's area registry holds the names the family uses for a room ("Küche", "Cozinha",
"Cocina" as aliases of Kitchen), and the garage door has the name a Spanish speaker gives it.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from bot.family import Member
from tests.fakes.home_assistant import FakeHomeAssistant, running, small_house
from tests.skills.home.conftest import home_bot_toml
from tests.support.home import FamilyChats, MakeIncoming

HOME = """
[skills.home]
url = "{url}"
expose_entities = ["light.kitchen_*", "lock.front_door", "cover.garage_door"]
aliases = {{ "cover.garage_door" = ["puerta del garaje"] }}
wait_s = 0.3
confirm_over = 3
"""
KITCHEN_OFF = [
    ("light", "turn_off", {"entity_id": ["light.kitchen_ceiling", "light.kitchen_counter"]})
]


@pytest.fixture
async def house() -> AsyncIterator[FakeHomeAssistant]:
    home = small_house()
    [kitchen] = [area for area in home.areas if area["area_id"] == "kitchen"]
    kitchen["aliases"] = ["Küche", "Cozinha", "Cocina"]
    async with running(home) as fake:
        yield fake


@pytest.fixture
def bot_toml(tmp_path: Path, house: FakeHomeAssistant) -> Path:
    return home_bot_toml(tmp_path, HOME.format(url=house.url))


@pytest.mark.parametrize(
    "sentence",
    [
        "mach das Licht in der Küche aus",
        "apaga a luz da cozinha",
        "apaga la luz de la cocina",
    ],
)
async def test_turning_off_the_kitchen_light_in_three_languages(
    chats: FamilyChats,
    parent: Member,
    house: FakeHomeAssistant,
    make_incoming: MakeIncoming,
    sentence: str,
) -> None:
    done = await chats.send(make_incoming(sentence))

    assert done.route == "fast"
    assert [(a.tool, a.status) for a in done.actions] == [("home.call", "done")]
    assert house.calls == KITCHEN_OFF
    assert "Kitchen Ceiling: off ✓" in done.text
    assert "Kitchen Counter: off ✓" in done.text
    assert house.states["light.kitchen_counter"]["state"] == "off"


async def test_a_spanish_question_about_the_garage_only_reads(
    chats: FamilyChats, parent: Member, house: FakeHomeAssistant, make_incoming: MakeIncoming
) -> None:
    answer = await chats.send(make_incoming("¿está la puerta del garaje abierta?"))

    assert answer.route == "fast"
    assert [(a.tool, a.status) for a in answer.actions] == [("home.state", "done")]
    assert answer.text == "Garage Door: open"
    assert house.calls == []


async def test_the_spanish_question_with_the_state_first_is_left_to_the_model(
    chats: FamilyChats, parent: Member, house: FakeHomeAssistant, make_incoming: MakeIncoming
) -> None:
    """home-assistant-intents (2026.11.25) asks Spanish yes/no questions only as "<is> [article]
    {name} {state}": "¿está abierta la puerta del garaje?" has no template, so the fast path
    leaves it alone rather than guessing — and nothing in the house is called."""
    answer = await chats.send(make_incoming("¿está abierta la puerta del garaje?"))

    assert answer.route != "fast"
    assert answer.actions == ()
    assert house.calls == []
