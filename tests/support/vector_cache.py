"""Passage vectors kept on disk between benchmark runs, keyed by embedder name and text hash.

Embedding the 537-note help vault takes minutes of CPU; a retrieval benchmark that changes only
the ranking should pay for it once. Vectors live in one SQLite file per embedder under
~/.cache/gepeto/bench-vectors (or $GEPETO_BENCH_VECTORS).
"""

from __future__ import annotations

import hashlib
import os
import re
import sqlite3
from collections.abc import Callable, Sequence
from pathlib import Path

import numpy as np

from knowledge.embedders import Embedder

DEFAULT_FOLDER = Path.home() / ".cache" / "gepeto" / "bench-vectors"


class CachedEmbedder:
    """An embedder whose passage and query vectors are remembered on disk."""

    def __init__(self, inner: Embedder, folder: Path | None = None) -> None:
        self.inner = inner
        chosen = folder or Path(os.environ.get("GEPETO_BENCH_VECTORS", DEFAULT_FOLDER))
        chosen.mkdir(parents=True, exist_ok=True)
        safe = re.sub(r"[^\w.@-]+", "_", inner.name)
        self._db = sqlite3.connect(chosen / f"{safe}.sqlite3", timeout=60)
        self._db.execute(
            "CREATE TABLE IF NOT EXISTS vectors (key TEXT PRIMARY KEY, vector BLOB NOT NULL)"
        )
        self.embedded = 0

    @property
    def name(self) -> str:
        return self.inner.name

    @property
    def dimension(self) -> int:
        return self.inner.dimension

    def embed_passages(
        self, texts: Sequence[str], progress: Callable[[int, int], None] | None = None
    ) -> list[list[float]]:
        return self._cached("passage", texts, self.inner.embed_passages, progress)

    def embed_query(self, text: str) -> list[float]:
        return self._cached("query", [text], lambda t: [self.inner.embed_query(t[0])], None)[0]

    def _cached(
        self,
        kind: str,
        texts: Sequence[str],
        embed: Callable[[Sequence[str]], list[list[float]]],
        progress: Callable[[int, int], None] | None,
    ) -> list[list[float]]:
        keys = [_key(kind, text) for text in texts]
        found = self._lookup(keys)
        first = {key: i for i, key in reversed(list(enumerate(keys)))}
        missing = sorted(i for key, i in first.items() if key not in found)
        for start in range(0, len(missing), 32):
            batch = missing[start : start + 32]
            vectors = embed([texts[i] for i in batch])
            rows = [
                (keys[i], np.asarray(v, dtype=np.float32).tobytes())
                for i, v in zip(batch, vectors, strict=True)
            ]
            with self._db:
                self._db.executemany("INSERT OR REPLACE INTO vectors VALUES (?, ?)", rows)
            found.update((key, np.frombuffer(blob, dtype=np.float32)) for key, blob in rows)
            self.embedded += len(batch)
            if progress is not None:
                progress(start + len(batch), len(missing))
        return [found[key].tolist() for key in keys]

    def _lookup(self, keys: Sequence[str]) -> dict[str, np.ndarray]:
        found: dict[str, np.ndarray] = {}
        unique = list(dict.fromkeys(keys))
        for start in range(0, len(unique), 500):
            part = unique[start : start + 500]
            marks = ",".join("?" * len(part))
            rows = self._db.execute(
                f"SELECT key, vector FROM vectors WHERE key IN ({marks})", part
            )
            found.update((key, np.frombuffer(blob, dtype=np.float32)) for key, blob in rows)
        return found


def _key(kind: str, text: str) -> str:
    return hashlib.sha256(f"{kind}\0{text}".encode()).hexdigest()
