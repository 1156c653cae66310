"""The skill contract: a skill's settings, secrets and client come from the platform alone."""

from __future__ import annotations

import logging
import re
import sys
import types
from pathlib import Path

import pytest

from bot import logs
from bot.app import open_app
from bot.clock import ManualClock
from bot.config import ConfigError, load_config
from bot.skills import SkillLoadError
from tests.support import gadget
from tests.support.home import FamilyChats, MakeIncoming, write_bot_toml

PLUGINS = '["tests.support.household", "tests.support.gadget"]'
TOKEN = "gadget-token-that-must-never-be-printed"


def household(tmp_path: Path, sections: str = "") -> Path:
    path = write_bot_toml(tmp_path)
    text = path.read_text().replace(
        'plugins = ["tests.support.household"]', f"plugins = {PLUGINS}"
    )
    path.write_text(text + sections)
    return path


async def test_a_skill_gets_its_settings_secret_and_client_and_closes_it(
    tmp_path: Path, clock: ManualClock, make_incoming: MakeIncoming
) -> None:
    config = load_config(
        household(tmp_path, '[skills.gadget]\ngreeting = "ahoy"\nvolume = 7\n'),
        environ={"GADGET_TOKEN": TOKEN},
    )
    async with open_app(config, clock=clock) as app:
        client = gadget.OPENED[-1]
        await app.family.add("Ana", "parent")
        await app.family.link("Ana", "telegram:1001")
        chats = FamilyChats.open(app)
        outcome = await chats.send(make_incoming("/help"))
        assert "Greet through the gadget." in outcome.text
        assert (client.token, client.open) == (TOKEN, True)
        services = app.skill("gadget").services
        assert services.settings_as(gadget.GadgetSettings).volume == 7
        assert TOKEN not in repr(services)
    assert client.open is False


async def test_a_skills_secret_is_redacted_from_logs(
    tmp_path: Path, clock: ManualClock, caplog: pytest.LogCaptureFixture
) -> None:
    logs.setup("INFO", "text", [])
    config = load_config(household(tmp_path), environ={"GADGET_TOKEN": TOKEN})
    records: list[str] = []

    class Keep(logging.Handler):
        def emit(self, record: logging.LogRecord) -> None:
            records.append(self.format(record))

    root = logging.getLogger()
    keeper = Keep()
    keeper.filters = list(root.handlers[0].filters)
    root.addHandler(keeper)
    try:
        async with open_app(config, clock=clock) as app:
            logging.getLogger("tests.gadget").info("token is %s", TOKEN)
            assert app.redact(f"error: {TOKEN}") == "error: ***"
    finally:
        root.removeHandler(keeper)
    said = "\n".join(records)
    assert "token is ***" in said
    assert TOKEN not in said


@pytest.mark.parametrize(
    ("sections", "message"),
    [
        (
            "[skills.gadget]\nvolum = 3\n",
            "skills.gadget.volum: unknown key (did you mean 'volume'?)",
        ),
        ("[skills.gadget]\nvolume = 11\n", "skills.gadget.volume: Input should be less than or"),
        (
            "[skills.gadgte]\ngreeting = 'x'\n",
            "skills.gadgte: no skill called 'gadgte' (did you mean 'gadget'?)",
        ),
        ("[skills.system]\nanything = 1\n", "skills.system.anything: unknown key"),
    ],
)
async def test_a_mistake_in_a_skills_section_stops_start_up_naming_the_key(
    tmp_path: Path, clock: ManualClock, sections: str, message: str
) -> None:
    config = load_config(household(tmp_path, sections), environ={})

    with pytest.raises(ConfigError, match=re.escape(message)):
        async with open_app(config, clock=clock):
            pass


async def test_old_vault_keys_still_work_with_a_line_saying_where_they_moved(
    tmp_path: Path, clock: ManualClock, caplog: pytest.LogCaptureFixture
) -> None:
    path = write_bot_toml(tmp_path)
    path.write_text(
        path.read_text().replace('path = "vault"\n', 'path = "vault"\nlists_folder = "Listen"\n')
    )
    config = load_config(path, environ={})

    with caplog.at_level(logging.WARNING):
        async with open_app(config, clock=clock) as app:
            from skills.lists.settings import ListsSettings

            assert app.skill("lists").services.settings_as(ListsSettings).folder == "Listen"
    assert "vault.lists_folder has moved to [skills.lists] folder" in caplog.text


def test_two_skills_cannot_claim_the_same_command(tmp_path: Path) -> None:
    from bot.skills import load_skills

    with pytest.raises(SkillLoadError, match="/list is already taken"):
        load_skills(["tests.support.household", "tests.support.gadget", "tests.support.copycat"])


@pytest.mark.parametrize(
    ("roles", "refusal"),
    [
        ({"adult": ("greedy.take",)}, "roles: 'adult' is not a role a skill gives defaults to"),
        ({"child": ("lists.add",)}, "roles.child: 'lists.add' is not one of greedy's tools"),
    ],
)
def test_a_skill_gives_defaults_only_to_children_and_guests_and_only_its_own_tools(
    monkeypatch: pytest.MonkeyPatch, roles: dict[str, tuple[str, ...]], refusal: str
) -> None:
    from bot.skills import Skill, load_skills

    module = types.ModuleType("greedy")
    module.SKILL = Skill(name="greedy", roles=roles)  # type: ignore[attr-defined]
    monkeypatch.setitem(sys.modules, "greedy", module)

    with pytest.raises(SkillLoadError, match=re.escape(f"greedy: {refusal}")):
        load_skills(["greedy"])


def test_roles_come_from_the_skills_unless_bot_toml_writes_them() -> None:
    from bot.config import RolePermissions
    from bot.skills import Skill, role_permissions
    from bot.tools import is_allowed

    skills = [
        Skill(name="chores", roles={"child": ("chores.complete",)}),
        Skill(name="lists", roles={"child": ("lists.*",), "guest": ("lists.show",)}),
    ]

    roles = role_permissions({}, skills)
    assert is_allowed(roles["child"], "chores.complete")
    assert is_allowed(roles["child"], "lists.add")
    assert not is_allowed(roles["child"], "chores.add")
    assert is_allowed(roles["guest"], "lists.show")
    assert not is_allowed(roles["guest"], "lists.add")
    assert is_allowed(roles["adult"], "chores.add")
    assert not is_allowed(roles["adult"], "members.add")

    written = role_permissions({"child": RolePermissions(allow=["lists.show"])}, skills)
    assert is_allowed(written["child"], "lists.show")
    assert not is_allowed(written["child"], "chores.complete")
    assert is_allowed(written["guest"], "lists.show")
