"""The example skill (issue 11 item 11): a command, a button, a table, a setting, a daily job,
a prompt-context line and the fast path — all brought by one folder and a line of bot.toml."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlmodel import col, select

from bot.app import open_app
from bot.clock import ManualClock
from bot.config import ConfigError, load_config
from bot.context import AppContext
from bot.family import Member
from bot.tools import is_allowed
from tests.skills.example.household import with_example_skill
from tests.support.example_skill import SKILL
from tests.support.example_skill.models import Glass
from tests.support.home import CHILD_ID, FamilyChats, MakeIncoming, write_bot_toml

BEN_ID = "1003"


async def glasses(app: AppContext) -> list[int]:
    """Whose glasses are in the skill's table (member ids), oldest first."""
    async with app.sessions() as session:
        rows = await session.exec(select(Glass).order_by(col(Glass.id)))
        return [row.member_id for row in rows]


async def test_water_records_a_glass_and_its_undo_button_takes_it_back(
    app: AppContext, chats: FamilyChats, make_incoming: MakeIncoming, parent: Member
) -> None:
    answer = await chats.send(make_incoming("/water"))

    [reply] = answer.replies
    assert reply.text == "Noted, Ana: 1 glass of water today. 💧"
    [undo] = reply.buttons
    assert undo.label == "Undo"
    assert undo.data.startswith("example:undo:")
    assert await glasses(app) == [parent.id]

    undone = await chats.send(make_incoming(button=undo.data))

    assert undone.text == "Taken back: 0 glasses of water today."
    assert await glasses(app) == []
    again = await chats.send(make_incoming(button=undo.data))
    assert again.text == "That glass was already taken back."


async def test_nobody_can_take_back_someone_elses_glass(
    app: AppContext, chats: FamilyChats, make_incoming: MakeIncoming, parent: Member
) -> None:
    await app.family.add("Ben", "adult")
    await app.family.link("Ben", f"telegram:{BEN_ID}")
    [reply] = (await chats.send(make_incoming("/water"))).replies
    [undo] = reply.buttons

    pressed = await chats.send(make_incoming(sender=BEN_ID, button=undo.data))

    assert pressed.text == "That glass isn't yours to take back."
    assert await glasses(app) == [parent.id]


async def test_help_the_fast_path_and_the_prompt_context_know_the_skill(
    app: AppContext, chats: FamilyChats, make_incoming: MakeIncoming, parent: Member
) -> None:
    shown = await chats.send(make_incoming("/help"))
    said = await chats.send(make_incoming("I just had a glass of water"))
    await chats.send(make_incoming("/water"))

    assert "/water — record a glass of water" in shown.text
    assert said.route == "fast"
    assert said.text == "Noted, Ana: 1 glass of water today. 💧"
    assert SKILL.context is not None
    context = await SKILL.context(app.skill("example").services, parent)
    assert context.lines == ("Ana has drunk 2 glass(es) of water today.",)
    assert not context.from_others


async def test_a_child_may_drink_by_the_skills_own_default(
    app: AppContext, chats: FamilyChats, make_incoming: MakeIncoming, child: Member
) -> None:
    answer = await chats.send(make_incoming("/water", sender=CHILD_ID))

    assert answer.text.startswith("Noted, Leo: 1 glass of water today.")
    assert await glasses(app) == [child.id]


async def test_a_child_role_written_in_bot_toml_replaces_the_skills_default(
    tmp_path: Path, clock: ManualClock
) -> None:
    toml = write_bot_toml(tmp_path, '[safety.roles.child]\nallow = ["lists.*"]\n')
    config = load_config(with_example_skill(toml), environ={})

    async with open_app(config, clock=clock) as app:
        assert not is_allowed(app.permissions("child"), "example.drink")
        assert is_allowed(app.permissions("child"), "lists.add")
        assert not is_allowed(app.permissions("guest"), "example.drink")


@pytest.mark.parametrize(
    ("line", "named"),
    [
        ("reminder_hours = 9\n", "skills.example.reminder_hours"),
        ("reminder_hour = 25\n", "skills.example.reminder_hour"),
    ],
)
async def test_a_bad_key_in_skills_example_stops_start_up_naming_it(
    tmp_path: Path, clock: ManualClock, line: str, named: str
) -> None:
    config = load_config(with_example_skill(write_bot_toml(tmp_path), line), environ={})

    with pytest.raises(ConfigError, match=named):
        async with open_app(config, clock=clock):
            pass
