"""Ollama's embedding model behind the knowledge engine's (blocking) Embedder protocol."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence

from bot.llm.client import LLMClient

EMBED_TIMEOUT_S = 300.0
# (query prefix, passage prefix) the popular Ollama embedding models were trained with.
PREFIXES = {
    "nomic-embed-text": ("search_query: ", "search_document: "),
    "mxbai-embed-large": ("Represent this sentence for searching relevant passages: ", ""),
    "snowflake-arctic-embed": ("Represent this sentence for searching relevant passages: ", ""),
    "embeddinggemma": ("task: search result | query: ", "title: none | text: "),
}


class OllamaEmbedder:
    """Embeds on the bot's event loop from the index's worker threads."""

    def __init__(
        self, llm: LLMClient, loop: asyncio.AbstractEventLoop, model: str, dimension: int
    ) -> None:
        self._llm = llm
        self._loop = loop
        self._model = model
        self._dimension = dimension
        self._query_prefix, self._passage_prefix = PREFIXES.get(model.split(":")[0], ("", ""))

    @classmethod
    async def probe(cls, llm: LLMClient) -> OllamaEmbedder:
        """Asks once for a vector, to learn the dimension (and that the model is there)."""
        vectors = await llm.embed(["dimension probe"])
        return cls(llm, asyncio.get_running_loop(), llm.settings.models.embed, len(vectors[0]))

    @property
    def name(self) -> str:
        return f"ollama:{self._model}"

    @property
    def dimension(self) -> int:
        return self._dimension

    def embed_passages(self, texts: Sequence[str]) -> list[list[float]]:
        return self._embed([self._passage_prefix + text for text in texts])

    def embed_query(self, text: str) -> list[float]:
        return self._embed([self._query_prefix + text])[0]

    def _embed(self, texts: list[str]) -> list[list[float]]:
        future = asyncio.run_coroutine_threadsafe(self._llm.embed(texts), self._loop)
        return future.result(timeout=EMBED_TIMEOUT_S)
