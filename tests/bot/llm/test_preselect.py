"""Issue 11 (6): the model is offered only the tools a message is about, and still reaches them."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from datetime import timedelta
from pathlib import Path

import pytest
from sqlmodel import col, select

from bot.app import open_app
from bot.clock import ManualClock
from bot.config import load_config
from bot.context import AppContext
from bot.llm.preselect import matching_skills, vocabulary
from skills.chores.models import Chore, ChoreMember
from tests.fakes.ollama import FakeOllama, Recorded, ScriptedReply
from tests.support.home import PARENT_ID, FamilyChats, MakeIncoming
from tests.support.llm_household import MODEL, write_llm_bot_toml

CHORES = {"chores.add", "chores.list"}


@pytest.fixture
async def ollama() -> AsyncIterator[FakeOllama]:
    async with FakeOllama() as fake:
        yield fake


@pytest.fixture
async def home(
    tmp_path: Path, ollama: FakeOllama, clock: ManualClock
) -> AsyncIterator[AppContext]:
    bot_toml = write_llm_bot_toml(tmp_path, [ollama.url])
    async with open_app(load_config(bot_toml, environ={}), clock=clock) as app:
        for name, role, user in (("Ana", "parent", PARENT_ID), ("Leo", "child", "1002")):
            await app.family.add(name, role)
            await app.family.link(name, f"telegram:{user}")
        yield app


def offered(request: Recorded) -> set[str]:
    return {tool["function"]["name"] for tool in request.body.get("tools") or []}


def everything_ana_may_use(app: AppContext) -> set[str]:
    return {tool.name for tool in app.tools.allowed(app.permissions("parent"))}


async def chores_of(app: AppContext) -> list[tuple[str, list[str]]]:
    """Each chore with the names of the members taking part."""
    names = {member.id: member.name for member in await app.family.members()}
    async with app.sessions() as session:
        found = []
        for chore in await session.exec(select(Chore).order_by(col(Chore.id))):
            taking = await session.exec(
                select(ChoreMember.member_id).where(ChoreMember.chore_id == chore.id)
            )
            found.append((chore.name, [names[member] for member in taking]))
        return found


async def test_a_chore_request_offers_the_chores_tools_and_the_call_runs(
    home: AppContext, ollama: FakeOllama, make_incoming: MakeIncoming
) -> None:
    call = {"what": "dishes", "who": ["Leo"], "when": "tomorrow"}
    ollama.script(
        MODEL,
        ScriptedReply(tool_calls=[{"name": "chores.add", "arguments": call}]),
        ScriptedReply(content="Leo has the dishes tomorrow."),
    )
    chats = FamilyChats.open(home)

    outcome = await chats.send(make_incoming("can you put the dishes chore on Leo for tomorrow"))

    assert [(a.tool, a.status) for a in outcome.actions] == [("chores.add", "done")]
    assert await chores_of(home) == [("Dishes", ["Leo"])]
    assert chats.texts() == ["Leo has the dishes tomorrow."]
    first = offered(ollama.chat_requests[0])
    assert first >= CHORES
    assert first < everything_ana_may_use(home)
    assert "system.status" not in first


async def test_an_unrelated_question_is_not_offered_the_chores_tools(
    home: AppContext, ollama: FakeOllama, make_incoming: MakeIncoming
) -> None:
    ollama.script(MODEL, ScriptedReply(content="Fried rice with peas!"))

    await FamilyChats.open(home).send(make_incoming("what should we cook with the leftover rice?"))

    tools = offered(ollama.chat_requests[0])
    assert "knowledge.search" in tools
    assert not tools & CHORES


async def test_a_short_answer_to_the_models_question_keeps_the_chores_tools(
    home: AppContext, ollama: FakeOllama, clock: ManualClock, make_incoming: MakeIncoming
) -> None:
    call = {"what": "laundry", "who": ["Leo"], "when": "every Saturday"}
    ollama.script(
        MODEL,
        ScriptedReply(content="Sure — for which day?"),
        ScriptedReply(tool_calls=[{"name": "chores.add", "arguments": call}]),
        ScriptedReply(content="Leo does the laundry on Saturday."),
    )
    chats = FamilyChats.open(home)
    await chats.send(make_incoming("give the laundry to Leo"))
    clock.advance(timedelta(minutes=1))

    outcome = await chats.send(make_incoming("on Saturday"))

    assert [(a.tool, a.status) for a in outcome.actions] == [("chores.add", "done")]
    follow_up = offered(ollama.chat_requests[1])
    assert follow_up >= CHORES
    assert follow_up < everything_ana_may_use(home)


async def test_a_follow_up_to_a_quick_phrase_is_offered_that_skill(
    home: AppContext, ollama: FakeOllama, clock: ManualClock, make_incoming: MakeIncoming
) -> None:
    chats = FamilyChats.open(home)
    quick = await chats.send(make_incoming("what are my chores"))
    assert quick.route != "llm"  # the fast path answered: the chat history has no trace of it
    clock.advance(timedelta(minutes=1))
    ollama.script(MODEL, ScriptedReply(content="Leo has none yet."))

    await chats.send(make_incoming("and Leo?"))

    follow_up = offered(ollama.chat_requests[0])
    assert follow_up >= CHORES
    assert follow_up < everything_ana_may_use(home)


async def test_a_long_request_in_unknown_words_is_offered_every_tool(
    home: AppContext, ollama: FakeOllama, make_incoming: MakeIncoming
) -> None:
    ollama.script(MODEL, ScriptedReply(content="Happy to help."))

    await FamilyChats.open(home).send(make_incoming("please sort out the thing from yesterday"))

    assert offered(ollama.chat_requests[0]) == everything_ana_may_use(home)


@pytest.mark.parametrize(
    ("message", "skill"),
    [
        ("Setz Hafermilch auf die Einkaufsliste", "lists"),
        ("Can Leo do the dishes tonight?", "chores"),
        ("Quem faz as tarefas amanhã?", "chores"),
        ("¿De quién es la tarea de hoy?", "chores"),
        ("Wer macht heute den Abwasch?", "chores"),
        ("Merk dir: Mia mag keine Pilze", "memory"),
    ],
)
async def test_the_familys_languages_reach_their_skill(
    home: AppContext, message: str, skill: str
) -> None:
    def owner(name: str) -> str | None:
        return home.tools.skill_of(name) if home.tools.get(name) else None

    words = vocabulary((loaded.skill for loaded in home.skills), home.fastpath.intents, owner)
    assert skill in matching_skills([message], words)


async def test_the_context_size_goes_to_ollama_and_history_shrinks_to_fit(
    tmp_path: Path, ollama: FakeOllama, clock: ManualClock, make_incoming: MakeIncoming
) -> None:
    small = 3500
    bot_toml = write_llm_bot_toml(tmp_path, [ollama.url], extra=f"[llm.num_ctx]\nfast = {small}\n")
    async with open_app(load_config(bot_toml, environ={}), clock=clock) as app:
        await app.family.add("Ana", "parent")
        await app.family.link("Ana", f"telegram:{PARENT_ID}")
        chats = FamilyChats.open(app)
        questions = [f"story {n}: " + "once upon a time a dragon slept. " * 30 for n in range(4)]
        for number, question in enumerate(questions):
            ollama.script(MODEL, ScriptedReply(content=f"part {number}"))
            clock.advance(timedelta(minutes=1))
            await chats.send(make_incoming(question))
        ollama.script(MODEL, ScriptedReply(content="The end."))
        clock.advance(timedelta(minutes=1))
        await chats.send(make_incoming("and then?"))

    last = ollama.chat_requests[-1].body
    assert last["options"]["num_ctx"] == small
    earlier = [m["content"] for m in last["messages"][1:-1]]
    assert earlier[-2:] == [questions[-1], "part 3"]  # the newest exchange is kept
    assert len(earlier) < 2 * len(questions)  # older ones made room for the tools
    sent = sum(len(m["content"]) for m in last["messages"]) + len(json.dumps(last["tools"]))
    assert sent <= (small - 1024) * 4
