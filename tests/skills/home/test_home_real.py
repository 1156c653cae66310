"""Issue 15's done-when: `gepeto say` against a real Home Assistant 2024.3.3 (demo devices)."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path
from typing import Any

import pytest
from sqlmodel import select

from bot.actions import Turn, run_action
from bot.app import open_app
from bot.channels.console import console_message
from bot.clock import SystemClock
from bot.config import load_config
from skills.home.link import UNREACHABLE, HomeLink
from storage.models import AuditEntry
from tests.fakes.home_assistant import until
from tests.fakes.home_assistant_core import HomeAssistantCore
from tests.skills.home.conftest import home_bot_toml
from tests.support.cli import Gepeto
from tests.support.home import PARENT_ID, FamilyChats, MakeIncoming

pytestmark = pytest.mark.slow

HOME = """
[skills.home]
url = "{url}"
expose_entities = [
    "light.kitchen_lights", "light.ceiling_lights", "lock.front_door",
    "lock.poorly_installed_door", "cover.garage_door", "climate.heatpump",
]
aliases = {{ "cover.garage_door" = ["garage"] }}
roles = {{ child = ["light.*"] }}
"""


@pytest.fixture
def gepeto(
    tmp_path: Path,
    demo_house: HomeAssistantCore,
    monkeypatch: pytest.MonkeyPatch,
    no_outside_settings: None,
) -> Gepeto:
    monkeypatch.setenv("HOME_ASSISTANT_TOKEN", demo_house.token)
    gepeto = Gepeto(home_bot_toml(tmp_path, HOME.format(url=demo_house.url)))
    assert gepeto("members", "add", "Ana", "--role", "parent").exit_code == 0
    assert gepeto("members", "add", "Rui", "--role", "parent").exit_code == 0
    assert gepeto("members", "add", "Leo", "--role", "child").exit_code == 0
    return gepeto


def say(gepeto: Gepeto, member: str, text: str) -> dict[str, Any]:
    result = gepeto("say", "--as", member, "--json", text)
    assert result.exit_code == 0, result.stderr
    said: dict[str, Any] = json.loads(result.stdout)
    return said


def state_of(core: HomeAssistantCore, entity_id: str) -> str:
    return str(asyncio.run(core.states())[entity_id]["state"])


def test_turn_off_the_kitchen_lights_is_fast_done_and_read_back(
    gepeto: Gepeto, demo_house: HomeAssistantCore
) -> None:
    said = say(gepeto, "Ana", "turn off the kitchen lights")

    assert said["route"] == "fast"
    assert [(a["tool"], a["status"]) for a in said["actions"]] == [("home.call", "done")]
    assert said["reply"] == "Kitchen Lights: off ✓"
    assert state_of(demo_house, "light.kitchen_lights") == "off"

    back_on = say(gepeto, "Ana", "turn on the kitchen lights")
    assert back_on["reply"].startswith("Kitchen Lights: on")


def test_unlock_asks_and_with_two_adults_a_second_adult_is_asked_after_yes(
    gepeto: Gepeto, demo_house: HomeAssistantCore
) -> None:
    asked = say(gepeto, "Ana", "unlock the front door")
    assert [a["status"] for a in asked["actions"]] == ["needs_confirmation"]
    assert "unlock Front Door" in asked["reply"], asked
    assert state_of(demo_house, "lock.front_door") == "locked"

    done = say(gepeto, "Ana", "yes")
    assert "Front Door: unlocked ✓" in done["reply"]
    assert state_of(demo_house, "lock.front_door") == "unlocked"
    relocked = say(gepeto, "Ana", "lock the front door")
    assert [a["status"] for a in relocked["actions"]] == ["needs_confirmation"]
    assert "Front Door: locked ✓" in say(gepeto, "Ana", "yes")["reply"]

    path = gepeto.config_path
    path.write_text(path.read_text() + "\n[safety]\ntwo_adults_for_critical = true\n")
    asked_again = say(gepeto, "Ana", "unlock the front door")
    assert "Another parent or adult will have to approve it too" in asked_again["reply"]
    first_yes = say(gepeto, "Ana", "yes")
    assert "Rui" in first_yes["reply"] or "another" in first_yes["reply"].lower()
    assert state_of(demo_house, "lock.front_door") == "locked"


def test_is_the_garage_open_calls_no_service(
    gepeto: Gepeto, demo_house: HomeAssistantCore
) -> None:
    said = say(gepeto, "Ana", "is the garage door open?")

    assert said["route"] == "fast"
    assert [(a["tool"], a["status"]) for a in said["actions"]] == [("home.state", "done")]
    assert said["reply"] == f"Garage Door: {state_of(demo_house, 'cover.garage_door')}"


def test_a_child_opening_the_garage_is_denied(
    gepeto: Gepeto, demo_house: HomeAssistantCore
) -> None:
    said = say(gepeto, "Leo", "open the garage door")

    assert [(a["tool"], a["status"]) for a in said["actions"]] == [("home.call", "denied")]
    assert state_of(demo_house, "cover.garage_door") == "closed"


def test_a_jammed_lock_is_reported_as_not_done(
    gepeto: Gepeto, demo_house: HomeAssistantCore
) -> None:
    say(gepeto, "Ana", "lock the poorly installed door")
    said = say(gepeto, "Ana", "yes")

    assert [a["status"] for a in said["actions"]] == ["failed"]
    assert "I asked Poorly Installed Door to lock, but it still reports *jammed*" in said["reply"]


def test_administrative_services_are_refused_and_audited_even_from_config(
    gepeto: Gepeto, demo_house: HomeAssistantCore
) -> None:
    path = gepeto.config_path
    path.write_text(
        path.read_text().replace('"climate.heatpump",', '"climate.heatpump", "homeassistant.*",')
    )
    said = say(gepeto, "Ana", "/home")
    assert "Kitchen" in said["reply"]

    config = load_config(path, environ={"HOME_ASSISTANT_TOKEN": demo_house.token})

    async def attempt() -> list[tuple[str, str]]:
        async with open_app(config) as app:
            member = next(m for m in await app.family.members() if m.name == "Ana")
            turn = Turn(
                app=app, incoming=console_message(SystemClock(), "Ana", "x"), member=member
            )
            for domain, service in (
                ("shell_command", "x"),
                ("python_script", "x"),
                ("homeassistant", "restart"),
            ):
                result = await run_action(
                    turn,
                    "home.call",
                    {"domain": domain, "service": service, "targets": ["light.kitchen_lights"]},
                    confirmed=True,
                )
                assert result.status == "denied"
            async with app.sessions() as session:
                rows = (await session.exec(select(AuditEntry))).all()
            return [(r.action, r.status) for r in rows if r.status == "refused"]

    assert asyncio.run(attempt()) == [("home.call", "refused")] * 3
    assert demo_house.running


async def test_home_assistant_stopped_is_one_sentence_and_restarted_is_reconnected(
    tmp_path: Path, demo_house: HomeAssistantCore, make_incoming: MakeIncoming
) -> None:
    path = home_bot_toml(tmp_path, HOME.format(url=demo_house.url))
    config = load_config(path, environ={"HOME_ASSISTANT_TOKEN": demo_house.token})
    async with open_app(config) as app:
        await app.family.add("Ana", "parent")
        await app.family.link("Ana", f"telegram:{PARENT_ID}")
        chats = FamilyChats.open(app)
        link = app.skill("home").services.client_as(HomeLink)
        client = link.client
        assert client is not None
        assert client.connected
        client._retry_delays = (0.5,)

        await asyncio.to_thread(demo_house.stop)
        await until(lambda: not client.connected, timeout_s=30)
        down = await chats.send(make_incoming("is the garage door open?"))
        other = await chats.send(make_incoming("add milk to the shopping list"))

        assert down.text == UNREACHABLE
        assert "milk" in other.text.lower()

        await asyncio.to_thread(demo_house.start)
        await until(lambda: client.connected, timeout_s=120)
        back = await chats.send(make_incoming("is the garage door open?"))

        assert back.text.startswith("Garage Door: ")
        assert [(a.tool, a.status) for a in back.actions] == [("home.state", "done")]


async def test_a_light_moved_to_a_new_room_in_home_assistant_is_known_without_a_restart(
    tmp_path: Path, demo_house: HomeAssistantCore, make_incoming: MakeIncoming
) -> None:
    path = home_bot_toml(tmp_path, HOME.format(url=demo_house.url))
    config = load_config(path, environ={"HOME_ASSISTANT_TOKEN": demo_house.token})
    command = demo_house.websocket_command
    async with open_app(config) as app:
        await app.family.add("Ana", "parent")
        await app.family.link("Ana", f"telegram:{PARENT_ID}")
        chats = FamilyChats.open(app)
        client = app.skill("home").services.client_as(HomeLink).client
        assert client is not None
        await until(lambda: client.connected, timeout_s=60)
        kitchen = client.snapshot.entities["light.kitchen_lights"].area_id
        study = await command(
            demo_house.token, {"type": "config/area_registry/create", "name": "Study"}
        )
        move = {"type": "config/entity_registry/update", "entity_id": "light.kitchen_lights"}
        try:
            await command(demo_house.token, {**move, "area_id": study["area_id"]})
            await until(
                lambda: (
                    client.snapshot.entities["light.kitchen_lights"].area_id == study["area_id"]
                ),
                timeout_s=30,
            )
            answer = await chats.send(make_incoming("turn on the study lights"))
        finally:
            await command(demo_house.token, {**move, "area_id": kitchen})
            await command(
                demo_house.token,
                {"type": "config/area_registry/delete", "area_id": study["area_id"]},
            )

        assert answer.text.startswith("Kitchen Lights: on")
        assert [(a.tool, a.status) for a in answer.actions] == [("home.call", "done")]
