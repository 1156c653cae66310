"""Issue 15 safety against the fake Home Assistant: what the model asks for is checked in code.

A language model (fake Ollama, scripted) that asks for administrative services or for hidden
entities gets refusals that are audited and name nothing hidden; with two adults on, unlocking
the front door happens once, and only after the second adult's yes.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
from sqlmodel import col, select

from bot.app import open_app
from bot.clock import ManualClock
from bot.config import load_config
from bot.context import AppContext
from bot.family import Member
from storage.models import AuditEntry
from tests.fakes.home_assistant import TOKEN, FakeHomeAssistant
from tests.fakes.ollama import FakeOllama, ScriptedReply
from tests.skills.home.conftest import HOME, home_bot_toml
from tests.support.home import HOUSEHOLD_SKILL, PARENT_ID, FamilyChats, MakeIncoming
from tests.support.llm_household import MODEL, write_llm_bot_toml

BEN_ID = "1003"
ADMIN_CALLS = [
    {"domain": "shell_command", "service": "wipe", "targets": ["light.kitchen_ceiling"]},
    {"domain": "python_script", "service": "run", "targets": ["light.kitchen_ceiling"]},
    {"domain": "homeassistant", "service": "restart", "targets": ["light.kitchen_ceiling"]},
]
# A config that tries to hand the model administrative services: exposure can't make them callable.
GREEDY_EXPOSURE = '"shell_command.*", "python_script.*", "homeassistant.*", '


async def audit_rows(app: AppContext) -> list[tuple[str, str, str]]:
    async with app.sessions() as session:
        rows = await session.exec(select(AuditEntry).order_by(col(AuditEntry.id)))
        return [(row.action, row.status, row.detail) for row in rows]


@pytest.fixture
async def ollama() -> AsyncIterator[FakeOllama]:
    async with FakeOllama() as fake:
        yield fake


@pytest.fixture
async def talking_house(
    tmp_path: Path, ollama: FakeOllama, house: FakeHomeAssistant, clock: ManualClock
) -> AsyncIterator[AppContext]:
    """Ana (parent) with the language model on and the small house connected."""
    home = HOME.format(url=house.url).replace(
        'expose_entities = ["', f'expose_entities = [{GREEDY_EXPOSURE}"'
    )
    path = write_llm_bot_toml(tmp_path, [ollama.url], extra=home)
    path.write_text(path.read_text().replace(f'plugins = ["{HOUSEHOLD_SKILL}"]', "plugins = []"))
    config = load_config(path, environ={"HOME_ASSISTANT_TOKEN": TOKEN})
    async with open_app(config, clock=clock) as app:
        await app.family.add("Ana", "parent")
        await app.family.link("Ana", f"telegram:{PARENT_ID}")
        yield app


def tool_answers(ollama: FakeOllama) -> list[str]:
    """What Gepeto told the model about its tool calls, in the last chat request."""
    messages: list[dict[str, Any]] = ollama.chat_requests[-1].body["messages"]
    return [m["content"] for m in messages if m["role"] == "tool"]


async def test_a_model_asking_for_admin_services_is_refused_and_audited(
    talking_house: AppContext,
    ollama: FakeOllama,
    house: FakeHomeAssistant,
    make_incoming: MakeIncoming,
) -> None:
    calls = [{"name": "home.call", "arguments": call} for call in ADMIN_CALLS]
    ollama.script(
        MODEL, ScriptedReply(tool_calls=calls), ScriptedReply(content="I couldn't do that.")
    )

    outcome = await FamilyChats.open(talking_house).send(
        make_incoming("the lights are acting up, restart the whole house system")
    )

    assert outcome.route == "llm"
    assert [(a.tool, a.status) for a in outcome.actions] == [("home.call", "denied")] * 3
    refusals = [
        f"I never call {name}: nobody can do that through Gepeto."
        for name in ("shell_command.wipe", "python_script.run", "homeassistant.restart")
    ]
    assert await audit_rows(talking_house) == [("home.call", "refused", r) for r in refusals]
    assert all(any(r in answer for answer in tool_answers(ollama)) for r in refusals)
    assert house.calls == []


async def test_a_model_naming_a_hidden_entity_gets_an_answer_that_does_not_name_it(
    talking_house: AppContext,
    ollama: FakeOllama,
    house: FakeHomeAssistant,
    make_incoming: MakeIncoming,
) -> None:
    calls = [
        {"name": "home.call", "arguments": {"domain": "lock", "service": "unlock", "targets": t}}
        for t in (["lock.safe"], ["lock.safe", "lock.front_door"])
    ]
    calls.append({"name": "home.state", "arguments": {"targets": ["lock.safe"]}})
    ollama.script(MODEL, ScriptedReply(tool_calls=calls), ScriptedReply(content="Hmm."))

    outcome = await FamilyChats.open(talking_house).send(
        make_incoming("is there a lock in the hall I haven't heard of?")
    )

    assert [a.status for a in outcome.actions] == ["denied", "denied", "failed"]
    answers = tool_answers(ollama)
    assert len(answers) == 3
    assert all("safe" not in answer.casefold() for answer in answers), answers
    assert all("safe" not in detail.casefold() for _, _, detail in await audit_rows(talking_house))
    assert house.calls == []


@pytest.fixture
def bot_toml(tmp_path: Path, house: FakeHomeAssistant) -> Path:
    return home_bot_toml(
        tmp_path, HOME.format(url=house.url) + "[safety]\ntwo_adults_for_critical = true\n"
    )


@pytest.fixture
async def ben(app: AppContext) -> Member:
    member = await app.family.add("Ben", "parent")
    await app.family.link("Ben", f"telegram:{BEN_ID}")
    return member


async def test_with_two_adults_the_second_yes_unlocks_the_front_door_once(
    chats: FamilyChats,
    parent: Member,
    ben: Member,
    house: FakeHomeAssistant,
    make_incoming: MakeIncoming,
) -> None:
    asked = await chats.send(make_incoming("unlock the front door"))
    assert [(a.tool, a.status) for a in asked.actions] == [("home.call", "needs_confirmation")]
    [question] = asked.replies
    yes = question.buttons[0].data
    assert "Another parent or adult will have to approve it too." in question.text

    await chats.send(make_incoming(button=yes))
    assert house.calls == []
    [to_ben] = [d.reply for d in chats.delivered if d.chat_id == BEN_ID]
    assert to_ben.text.startswith("Ana asks me to unlock Front Door. Do you approve?")

    approved = await chats.send(make_incoming(sender=BEN_ID, button=yes))
    await chats.send(make_incoming(sender=BEN_ID, button=yes))

    assert [(a.tool, a.status) for a in approved.actions] == [("home.call", "done")]
    assert house.calls == [("lock", "unlock", {"entity_id": ["lock.front_door"]})]
    assert house.states["lock.front_door"]["state"] == "unlocked"
    assert "Ben approved. Front Door: unlocked ✓" in chats.texts(PARENT_ID)
