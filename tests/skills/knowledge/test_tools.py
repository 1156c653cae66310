"""The vault in chat and on the command line: search, answers with sources, incremental index."""

from __future__ import annotations

import json
import os
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from bot.actions import Turn, run_action
from bot.app import open_app
from bot.clock import ManualClock
from bot.config import Config, load_config
from bot.context import AppContext
from bot.family import Member
from tests.fakes.ollama import FakeOllama, ScriptedReply
from tests.knowledge.conftest import FAMILY_NOTES, write_note
from tests.support.cli import Gepeto
from tests.support.home import FamilyChats, MakeIncoming
from tests.support.llm_household import write_llm_bot_toml

MODEL = "llama3.2:3b"


@pytest.fixture
def family_vault(config_dir: Path) -> Path:
    vault = config_dir / "vault"
    for relative, text in FAMILY_NOTES.items():
        write_note(vault, relative, text)
    return vault


@pytest.fixture
def config_dir(tmp_path: Path) -> Path:
    return tmp_path


async def test_search_command_finds_the_note_with_its_heading(
    app: AppContext, parent: Member, chats: FamilyChats, make_incoming: MakeIncoming
) -> None:
    for relative, text in FAMILY_NOTES.items():
        write_note(app.settings.vault.path, relative, text)

    outcome = await chats.send(make_incoming("/search guest wifi password"))

    assert [(a.tool, a.status) for a in outcome.actions] == [("knowledge.search", "done")]
    first_hit = outcome.text.splitlines()[1]
    assert first_hit.startswith("- [[Wi-Fi]]")
    assert "sunflower42" in outcome.text


async def test_everyday_question_is_answered_from_the_vault_without_an_llm(
    app: AppContext, parent: Member, chats: FamilyChats, make_incoming: MakeIncoming
) -> None:
    for relative, text in FAMILY_NOTES.items():
        write_note(app.settings.vault.path, relative, text)

    outcome = await chats.send(make_incoming("What's the wifi password?"))

    assert outcome.route == "fast"
    assert outcome.actions[0].tool == "knowledge.ask"
    assert outcome.actions[0].args == {"question": "What's the wifi password?"}
    assert "[[Wi-Fi]]" in outcome.text
    assert "sunflower42" in outcome.text


@pytest.fixture
async def ollama() -> AsyncIterator[FakeOllama]:
    async with FakeOllama() as fake:
        yield fake


@pytest.fixture
def llm_config(tmp_path: Path, ollama: FakeOllama) -> Config:
    """A household whose fast and chat models are the fake's, with the family's notes."""
    bot_toml = write_llm_bot_toml(tmp_path, (ollama.url,), fast=MODEL, chat=MODEL)
    config = load_config(bot_toml, environ={})
    for relative, text in FAMILY_NOTES.items():
        write_note(config.settings.vault.path, relative, text)
    return config


async def test_llm_answer_cites_the_note_and_gets_passages_as_fenced_data(
    llm_config: Config, ollama: FakeOllama, clock: ManualClock, make_incoming: MakeIncoming
) -> None:
    ollama.script(
        MODEL,
        ScriptedReply(content="The car insurance policy is with Allianz."),  # the search's
        ScriptedReply(content="The car is insured with Allianz [[Car/Insurance|Car insurance]]."),
    )
    async with open_app(llm_config, clock=clock) as app:
        await app.family.add("Ana", "parent")
        await app.family.link("Ana", "telegram:1001")
        outcome = await FamilyChats.open(app).send(make_incoming("where is the car insured?"))

    assert outcome.actions[0].tool == "knowledge.ask"
    assert outcome.text == "The car is insured with Allianz [[Car/Insurance|Car insurance]]."
    prompt = ollama.chat_requests[-1].body["messages"]
    assert "untrusted data" in prompt[0]["content"]
    assert "AZ-4471-9920" in prompt[1]["content"]


async def test_a_question_in_another_language_finds_the_note_through_the_fast_models_words(
    llm_config: Config, ollama: FakeOllama, clock: ManualClock, make_incoming: MakeIncoming
) -> None:
    """Issue 18: the fast model writes the passage that would answer, in the notes' language;
    the search looks for it too, so the German question reaches the English note first."""
    ollama.script(
        MODEL,
        ScriptedReply(content="The car insurance policy renews every March with Allianz."),
        ScriptedReply(content="Jedes Jahr im März [[Car/Insurance|Car insurance]]."),
    )
    async with open_app(llm_config, clock=clock) as app:
        await app.family.add("Ana", "parent")
        member = await app.family.link("Ana", "telegram:1001")
        turn = Turn(app=app, incoming=make_incoming("(test)"), member=member)
        question = "Bis wann muss das erneuert werden?"
        result = await run_action(turn, "knowledge.ask", {"question": question})

    rewrite, answer = (request.body["messages"] for request in ollama.chat_requests[-2:])
    assert "in English" in rewrite[0]["content"]
    assert rewrite[1]["content"] == "Bis wann muss das erneuert werden?"
    first_source = answer[1]["content"].split("source 1: ", 1)[1].splitlines()[0]
    assert first_source.startswith("[[Insurance|Car insurance]]")
    assert result.text == "Jedes Jahr im März [[Car/Insurance|Car insurance]]."


def test_index_then_search_json_and_only_a_touched_note_is_indexed_again(
    gepeto: Gepeto, bot_toml: Path
) -> None:
    vault = bot_toml.parent / "vault"
    for relative, text in FAMILY_NOTES.items():
        write_note(vault, relative, text)

    first = gepeto("index")
    assert first.exit_code == 0, first.stderr
    assert first.stdout.startswith(f"{len(FAMILY_NOTES)} added, 0 changed, 0 removed, 0 unchanged")

    found = gepeto("search", "--json", "--k", "2", "apple pie baking temperature")
    hits = json.loads(found.stdout)
    assert hits[0]["path"] == "Recipes/Grandma's apple pie.md"
    assert set(hits[0]) == {"path", "title", "heading", "score", "snippet"}

    school = vault / "Kids" / "School.md"
    school.write_text(school.read_text() + "\nPE is on Thursdays.\n")
    os.utime(school)
    again = gepeto("index")
    assert again.stdout.startswith(
        f"0 added, 1 changed, 0 removed, {len(FAMILY_NOTES) - 1} unchanged"
    )
