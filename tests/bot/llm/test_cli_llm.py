"""The `gepeto` command with a language model: a real process against the fake Ollama.

The process runs beside the test (`asyncio.create_subprocess_exec`), so the test's event loop
keeps serving the fake Ollama while `gepeto` talks to it through OLLAMA_HOST.
"""

from __future__ import annotations

import asyncio
import json
import sys
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from bot.app import open_app
from bot.config import load_config
from tests.fakes.ollama import FakeModel, FakeOllama, ScriptedReply
from tests.support.cli import Gepeto
from tests.support.home import REPO, clean_environment
from tests.support.llm_household import MODEL, write_llm_bot_toml

PROCESS_TIMEOUT_S = 120.0
OUTAGE_WORDS = "still work"


@dataclass(frozen=True)
class Finished:
    exit_code: int
    stdout: str
    stderr: str


class GepetoProcess:
    """`python -m bot --config <bot.toml> ...` in its own process, Ollama at `ollama_url`."""

    def __init__(self, bot_toml: Path, ollama_url: str, **environ: str) -> None:
        self._bot_toml = bot_toml
        self._env = clean_environment() | {"OLLAMA_HOST": ollama_url} | environ

    async def start(self, *args: str) -> asyncio.subprocess.Process:
        return await asyncio.create_subprocess_exec(
            sys.executable,
            "-m",
            "bot",
            "--config",
            str(self._bot_toml),
            *args,
            stdin=asyncio.subprocess.PIPE,
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.PIPE,
            env=self._env,
            cwd=REPO,
        )

    async def run(self, *args: str, stdin: str = "") -> Finished:
        process = await self.start(*args)
        async with asyncio.timeout(PROCESS_TIMEOUT_S):
            out, err = await process.communicate(stdin.encode())
        assert process.returncode is not None
        return Finished(process.returncode, out.decode(), err.decode())

    async def say(self, name: str, text: str) -> dict[str, Any]:
        finished = await self.run("say", "--as", name, "--json", text)
        assert finished.exit_code == 0, finished.stderr
        parsed: dict[str, Any] = json.loads(finished.stdout)
        return parsed


async def streamed_then_finished(
    process: asyncio.subprocess.Process, ollama: FakeOllama, release: asyncio.Event, story: str
) -> tuple[str, str]:
    """Reads until the first round's words show, checks the model is still held, then finishes."""
    assert process.stdin is not None
    assert process.stdout is not None
    process.stdin.write(b"tell me a story about our shopping\n")
    process.stdin.close()
    seen = b""
    async with asyncio.timeout(PROCESS_TIMEOUT_S):
        while b"Let me look at the list first." not in seen:
            piece = await process.stdout.read(4096)
            assert piece, f"gepeto ended before streaming anything: {seen.decode()}"
            seen += piece
    # Those words were on the screen before the model's second round was even let go.
    await ollama.wait_until(lambda: len(ollama.chat_requests) == 2)
    assert story.encode() not in seen
    release.set()
    async with asyncio.timeout(PROCESS_TIMEOUT_S):
        rest, errors = await process.communicate()
    return (seen + rest).decode(), errors.decode()


@pytest.fixture
async def ollama() -> AsyncIterator[FakeOllama]:
    async with FakeOllama() as fake:
        yield fake


@pytest.fixture
async def household(tmp_path: Path) -> Path:
    """A bot.toml with the language model on (endpoint from OLLAMA_HOST); Ana and Leo live here."""
    bot_toml = write_llm_bot_toml(tmp_path)
    async with open_app(load_config(bot_toml, environ={})) as app:
        await app.family.add("Ana", "parent")
        await app.family.add("Leo", "child")
    return bot_toml


def shopping(bot_toml: Path) -> str:
    return (bot_toml.parent / "vault" / "Lists" / "Shopping.md").read_text(encoding="utf-8")


async def test_say_runs_the_models_call_and_denies_a_child_a_tool_outside_their_role(
    household: Path, ollama: FakeOllama
) -> None:
    gepeto = GepetoProcess(household, ollama.url)
    add_flour = {"name": "lists.add", "arguments": {"items": ["flour"], "list_name": "shopping"}}
    ollama.script(
        MODEL,
        ScriptedReply(tool_calls=[add_flour]),
        ScriptedReply(content="Flour is on the shopping list."),
        ScriptedReply(tool_calls=[{"name": "system.status", "arguments": {}}]),
        ScriptedReply(content="Sorry Leo, that's for grown-ups."),
    )

    ana = await gepeto.say("Ana", "could you make sure we don't run out of flour")
    leo = await gepeto.say("Leo", "show me the computers' graphics cards")

    assert ana["route"] == "llm"
    assert [(a["tool"], a["status"]) for a in ana["actions"]] == [("lists.add", "done")]
    assert ana["reply"] == "Flour is on the shopping list."
    assert "- [ ] flour" in shopping(household)
    assert leo["route"] == "llm"
    assert [(a["tool"], a["status"]) for a in leo["actions"]] == [("system.status", "denied")]
    assert leo["reply"] == "Sorry Leo, that's for grown-ups."


async def test_chat_streams_the_answer_as_it_comes_and_prints_it_once(
    household: Path, ollama: FakeOllama
) -> None:
    story = "Once upon a time, a dragon baked bread."
    release = asyncio.Event()
    ollama.script(
        MODEL,
        ScriptedReply(
            content="Let me look at the list first.",
            tool_calls=[{"name": "lists.show", "arguments": {"list_name": "shopping"}}],
        ),
        ScriptedReply(content=story, hold=release),
    )
    process = await GepetoProcess(household, ollama.url).start("chat", "--as", "Ana")
    try:
        output, errors = await streamed_then_finished(process, ollama, release, story)
    finally:
        if process.returncode is None:
            process.kill()
            await process.wait()

    assert process.returncode == 0, errors
    assert f"Ana> gepeto> Let me look at the list first.\ngepeto> {story}\nAna> " in output, output
    assert output.count(story) == 1


async def test_issue10_item9_ollama_host_reaches_its_ollama_with_the_committed_bot_toml(
    tmp_path: Path,
) -> None:
    committed = REPO / "bot.toml"
    model = load_config(committed, environ={}).settings.llm.models.chat
    async with FakeOllama([FakeModel(model)]) as ollama:
        ollama.script(model, ScriptedReply(content="Once upon a time, a snail was brave."))
        gepeto = GepetoProcess(
            committed,
            ollama.url,
            GEPETO_DATA_DIR=str(tmp_path / "data"),
            GEPETO_VAULT=str(tmp_path / "vault"),
            GEPETO_KNOWLEDGE__EMBEDDER="offline",
        )

        answer = await gepeto.say("Ana", "tell me a bedtime story about a brave snail")

    assert answer["route"] == "llm"
    assert answer["reply"] == "Once upon a time, a snail was brave."
    assert len(ollama.chat_requests) == 1


# ------------------------------------------------------------------ Ollama unreachable


@pytest.fixture
def unreachable(
    bot_toml: Path, gepeto: Gepeto, monkeypatch: pytest.MonkeyPatch, unused_tcp_port: int
) -> Gepeto:
    """`gepeto` for a household whose Ollama (OLLAMA_HOST) is not running; Ana is a parent."""
    write_llm_bot_toml(bot_toml.parent)
    monkeypatch.setenv("OLLAMA_HOST", f"127.0.0.1:{unused_tcp_port}")
    gepeto("members", "add", "Ana", "--role", "parent")
    return gepeto


def say(gepeto: Gepeto, text: str) -> dict[str, Any]:
    result = gepeto("say", "--as", "Ana", "--json", text)
    assert result.exit_code == 0, result.stderr
    parsed: dict[str, Any] = json.loads(result.stdout)
    return parsed


def test_without_ollama_commands_and_the_fast_path_still_work(
    unreachable: Gepeto, bot_toml: Path
) -> None:
    added = say(unreachable, "/list add milk")
    fast = say(unreachable, "we need bread")
    shown = say(unreachable, "/list")

    assert (added["route"], fast["route"], shown["route"]) == ("command", "fast", "command")
    assert [(a["tool"], a["status"]) for a in fast["actions"]] == [("lists.add", "done")]
    assert "milk" in shown["reply"]
    assert "bread" in shown["reply"]
    assert shopping(bot_toml) == "# Shopping\n\n- [ ] milk\n- [ ] bread\n"


def test_without_ollama_a_request_for_the_model_gets_the_clear_sentence(
    unreachable: Gepeto, unused_tcp_port: int
) -> None:
    answer = say(unreachable, "tell me a bedtime story about a brave snail")

    assert answer["route"] == "error"
    assert answer["actions"] == []
    assert f"127.0.0.1:{unused_tcp_port}" in answer["reply"]
    assert OUTAGE_WORDS in answer["reply"]


def test_doctor_marks_ollama_unreachable_and_says_how_to_fix_it(
    unreachable: Gepeto, unused_tcp_port: int
) -> None:
    result = unreachable("doctor")

    assert result.exit_code == 1
    [row] = [line for line in result.stdout.splitlines() if "ollama local" in line]
    assert "✗" in row
    assert f"cannot reach http://127.0.0.1:{unused_tcp_port}" in row
    assert "start Ollama there" in row
