"""The running bot's view of the vault index: Ollama embeddings, sticky choice, one writer."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from bot.clock import ManualClock
from bot.config import load_config
from bot.llm.client import LLMClient
from bot.vault_search import IndexBusyError, VaultSearch
from tests.fakes.ollama import DEFAULT_MODELS, FakeModel, FakeOllama
from tests.support.llm_household import write_llm_bot_toml

NOMIC = FakeModel("nomic-embed-text:latest", ("embedding",), "nomic-bert", "137M", "F16")


@pytest.fixture
async def ollama() -> AsyncIterator[FakeOllama]:
    async with FakeOllama((*DEFAULT_MODELS, NOMIC)) as fake:
        yield fake


async def test_ollama_embeddings_use_the_models_prefixes_and_are_remembered(
    tmp_path: Path, ollama: FakeOllama
) -> None:
    bot_toml = write_llm_bot_toml(
        tmp_path, (ollama.url,), extra='[llm.models]\nembed = "nomic-embed-text"\n'
    )
    text = bot_toml.read_text().replace('embedder = "offline"', 'embedder = "auto"')
    bot_toml.write_text(text.replace("[llm.models]\nembed", "embed", 1))
    config = load_config(bot_toml, environ={})
    (config.settings.vault.path).mkdir(parents=True)
    (config.settings.vault.path / "Boiler.md").write_text("# Boiler\n\nBleed the radiators.\n")
    llm = LLMClient(config.settings.llm, ManualClock())
    search = VaultSearch(config.settings, llm)
    try:
        index = await search.current()
        await index.search_async("radiators", 1)
    finally:
        search.close()
        await llm.aclose()

    assert index.embedder.name == "ollama:nomic-embed-text"
    inputs = [r.body["input"] for r in ollama.requests if r.path == "/api/embed"]
    flat = [text for batch in inputs for text in (batch if isinstance(batch, list) else [batch])]
    assert any(t.startswith("search_document: ") and "radiators" in t for t in flat)
    assert any(t == "search_query: radiators" for t in flat)
    choice = config.settings.storage.data_dir / "index" / "embedder-choice"
    assert choice.read_text().strip() == "ollama"


async def test_a_second_process_cannot_write_the_same_index(tmp_path: Path) -> None:
    bot_toml = write_llm_bot_toml(tmp_path)
    config = load_config(bot_toml, environ={})
    first = VaultSearch(config.settings, None)
    await first.index()
    try:
        with pytest.raises(IndexBusyError, match="Another Gepeto process"):
            await VaultSearch(config.settings, None).index()
    finally:
        first.close()
    second = VaultSearch(config.settings, None)
    await second.index()
    second.close()
