"""The benchmarks' vector cache: each text is embedded once, across runs, per embedder."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from tests.support.vector_cache import CachedEmbedder


class CountingEmbedder:
    """A stand-in model: a text's vector is its length and vowel count; calls are counted."""

    def __init__(self, name: str = "counting") -> None:
        self._name = name
        self.texts: list[str] = []

    @property
    def name(self) -> str:
        return self._name

    @property
    def dimension(self) -> int:
        return 2

    def embed_passages(self, texts: Sequence[str]) -> list[list[float]]:
        self.texts.extend(texts)
        return [[float(len(t)), float(sum(c in "aeiou" for c in t))] for t in texts]

    def embed_query(self, text: str) -> list[float]:
        self.texts.append(text)
        return [float(len(text)), -1.0]


def test_vectors_are_embedded_once_and_survive_a_new_cache(tmp_path: Path) -> None:
    inner = CountingEmbedder()
    cache = CachedEmbedder(inner, tmp_path)
    assert cache.embed_passages(["boiler", "apple cake", "boiler"]) == [
        [6.0, 3.0],
        [10.0, 4.0],
        [6.0, 3.0],
    ]
    assert inner.texts == ["boiler", "apple cake"]
    reopened = CachedEmbedder(inner, tmp_path)
    assert reopened.embed_passages(["apple cake", "tent"]) == [[10.0, 4.0], [4.0, 1.0]]
    assert inner.texts == ["boiler", "apple cake", "tent"]
    assert reopened.embedded == 1


def test_queries_passages_and_embedders_do_not_share_vectors(tmp_path: Path) -> None:
    first = CountingEmbedder("one")
    assert CachedEmbedder(first, tmp_path).embed_query("boiler") == [6.0, -1.0]
    assert CachedEmbedder(first, tmp_path).embed_passages(["boiler"]) == [[6.0, 3.0]]
    second = CountingEmbedder("two")
    CachedEmbedder(second, tmp_path).embed_passages(["boiler"])
    assert first.texts == ["boiler", "boiler"]
    assert second.texts == ["boiler"]
