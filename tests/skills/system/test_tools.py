"""system.status on a machine without a GPU: every endpoint is a line, even an unreachable one."""

from __future__ import annotations

import asyncio
import json
import sys
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from bot.app import open_app
from bot.clock import ManualClock
from bot.config import load_config
from bot.context import AppContext
from bot.family import Member
from bot.llm.client import LLMClient
from tests.fakes.ollama import DEFAULT_MODELS, FakeOllama, ScriptedReply
from tests.support.home import FamilyChats, MakeIncoming
from tests.support.llm_household import MODEL, write_llm_bot_toml

VRAM_MIB = next(model.size for model in DEFAULT_MODELS if model.name == MODEL) // 2**20


@pytest.fixture
def no_nvml(monkeypatch: pytest.MonkeyPatch) -> None:
    """NVML cannot be imported, as on a machine without NVIDIA drivers."""
    monkeypatch.setitem(sys.modules, "pynvml", None)


@pytest.fixture
async def ollama() -> AsyncIterator[FakeOllama]:
    async with FakeOllama(default_reply=ScriptedReply(content="Hello.")) as fake:
        yield fake


@pytest.fixture
async def home(
    tmp_path: Path, ollama: FakeOllama, clock: ManualClock, unused_tcp_port: int
) -> AsyncIterator[AppContext]:
    """Ana, a parent; endpoint gpu1 is down, gpu2 (the fake) answers one request at a time."""
    dead = f"http://127.0.0.1:{unused_tcp_port}"
    config = load_config(
        write_llm_bot_toml(tmp_path, [dead, ollama.url], max_parallel=1), environ={}
    )
    async with open_app(config, clock=clock) as app:
        await app.family.add("Ana", "parent")
        await app.family.link("Ana", "telegram:1001")
        yield app


async def ask(llm: LLMClient) -> str:
    messages = [{"role": "user", "content": "hello"}]
    return "".join([chunk.content async for chunk in llm.chat("fast", messages)])


async def until_queued(llm: LLMClient, depth: int) -> None:
    async with asyncio.timeout(5):
        while (await llm.status())[1].queue < depth:
            pass


async def test_status_names_the_missing_gpu_and_each_endpoint_with_models_and_queue(
    home: AppContext,
    ollama: FakeOllama,
    make_incoming: MakeIncoming,
    unused_tcp_port: int,
    no_nvml: None,
) -> None:
    llm = home.llm
    assert llm is not None
    await ask(llm)  # loads the model on gpu2
    release = asyncio.Event()
    ollama.default_reply = ScriptedReply(content="Hello.", hold=release)
    busy = [asyncio.create_task(ask(llm)) for _ in range(2)]
    await ollama.wait_until(lambda: ollama.running[MODEL] == 1)
    await until_queued(llm, 1)

    outcome = await FamilyChats.open(home).send(make_incoming("/status"))

    release.set()
    assert await asyncio.gather(*busy) == ["Hello.", "Hello."]
    assert outcome.route == "command"
    assert [(a.tool, a.status) for a in outcome.actions] == [("system.status", "done")]
    lines = outcome.text.splitlines()
    assert lines[0] == "**GPUs**"
    assert lines[1].startswith("- No NVIDIA GPU here")
    assert lines[2:] == [
        "**Language models**",
        f"- gpu1 (http://127.0.0.1:{unused_tcp_port}): not answering — is Ollama running there?",
        f"- gpu2 ({ollama.url}): {MODEL} ({VRAM_MIB:,} MiB VRAM); 1 answering, 1 waiting",
    ]


async def test_the_model_can_read_the_status_through_its_tool(
    home: AppContext, ollama: FakeOllama, make_incoming: MakeIncoming, no_nvml: None
) -> None:
    ollama.script(
        MODEL,
        ScriptedReply(tool_calls=[{"name": "system.status", "arguments": {}}]),
        ScriptedReply(content="No GPU here, and gpu1 is down."),
    )

    outcome = await FamilyChats.open(home).send(make_incoming("how are the gpus doing?"))

    assert outcome.route == "llm"
    assert outcome.text == "No GPU here, and gpu1 is down."
    assert [(a.tool, a.status) for a in outcome.actions] == [("system.status", "done")]
    tool_message = ollama.chat_requests[-1].body["messages"][-1]
    assert tool_message["role"] == "tool"
    seen = json.loads(tool_message["content"])
    assert seen["status"] == "done"
    assert "No NVIDIA GPU" in seen["result"]
    assert [(e["name"], e["reachable"]) for e in seen["data"]["endpoints"]] == [
        ("gpu1", False),
        ("gpu2", True),
    ]
    assert seen["data"]["gpus"] == []


async def test_status_without_a_language_model_says_it_is_switched_off(
    chats: FamilyChats, parent: Member, make_incoming: MakeIncoming, no_nvml: None
) -> None:
    outcome = await chats.send(make_incoming("/status"))

    assert outcome.text.splitlines()[2:] == [
        "**Language models**",
        "- The language model is switched off in bot.toml.",
    ]
