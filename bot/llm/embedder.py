"""Ollama's embedding model behind the knowledge engine's (blocking) Embedder protocol."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence

from bot.llm.client import LLMClient

EMBED_TIMEOUT_S = 300.0


class OllamaEmbedder:
    """Embeds on the bot's event loop from the index's worker threads."""

    def __init__(
        self, llm: LLMClient, loop: asyncio.AbstractEventLoop, model: str, dimension: int
    ) -> None:
        self._llm = llm
        self._loop = loop
        self._model = model
        self._dimension = dimension

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
        future = asyncio.run_coroutine_threadsafe(self._llm.embed(list(texts)), self._loop)
        return future.result(timeout=EMBED_TIMEOUT_S)

    def embed_query(self, text: str) -> list[float]:
        return self.embed_passages([text])[0]
