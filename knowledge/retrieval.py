"""Finds passages two ways, BM25 words and vector meaning, and fuses them into one note ranking."""

from __future__ import annotations

import functools
import logging
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

import bm25s
import numpy as np
from bm25s import stopwords
from nltk.stem.snowball import SnowballStemmer

# bm25s sets its own logger to DEBUG when imported, after logging was set up: every index build
# would print a debug line on the console. Its messages are only worth seeing as warnings.
logging.getLogger("bm25s").setLevel(logging.WARNING)

RRF_K = 60
_WORD = re.compile(r"\w+")
_SENTENCE = re.compile(r"(?<=[.!?:])\s+|\n+")
_STOPWORDS = frozenset(
    (
        *stopwords.STOPWORDS_EN,
        *stopwords.STOPWORDS_GERMAN,
        *stopwords.STOPWORDS_PORTUGUESE,
        *stopwords.STOPWORDS_SPANISH,
        *stopwords.STOPWORDS_FRENCH,
        *stopwords.STOPWORDS_ITALIAN,
        *stopwords.STOPWORDS_DUTCH,
    )
)
_stem = functools.lru_cache(maxsize=200_000)(SnowballStemmer("english").stem)


def keyword_tokens(text: str) -> list[str]:
    """Lower-cased, stemmed words without stopwords: what BM25 counts."""
    return [_stem(word) for word in _WORD.findall(text.casefold()) if word not in _STOPWORDS]


@dataclass(frozen=True)
class Passage:
    """A stored passage as retrieval sees it."""

    chunk_id: str
    path: str
    title: str
    heading: str
    text: str
    aliases: tuple[str, ...] = ()


class KeywordIndex:
    """BM25 (bm25s) over the vault's passages; immutable, so searches never see a half update."""

    def __init__(self, tokens: Mapping[str, list[str]] | None = None) -> None:
        self._tokens = dict(tokens or {})
        self._ids = list(self._tokens)
        self._model: bm25s.BM25 | None = None
        if self._ids:
            self._model = bm25s.BM25()
            self._model.index([self._tokens[i] or [""] for i in self._ids], show_progress=False)

    def __len__(self) -> int:
        return len(self._ids)

    def changed(
        self, removed_paths: Iterable[str], added: Iterable[tuple[str, str]]
    ) -> KeywordIndex:
        """A new index without the passages of `removed_paths`, plus (chunk id, text) pairs."""
        gone = {f"{path}#" for path in removed_paths}
        tokens = {
            chunk_id: words
            for chunk_id, words in self._tokens.items()
            if chunk_id[: chunk_id.rfind("#") + 1] not in gone
        }
        tokens.update((chunk_id, keyword_tokens(text)) for chunk_id, text in added)
        return KeywordIndex(tokens)

    def known_share(self, text: str) -> float:
        """The share of the text's words (as BM25 counts them) that some passage contains."""
        words = keyword_tokens(text)
        if self._model is None or not words:
            return 0.0
        return sum(word in self._model.vocab_dict for word in words) / len(words)

    def search(self, query: str, limit: int) -> list[tuple[str, float]]:
        """Best passages for the query's words, best first, with their BM25 scores."""
        if self._model is None:
            return []
        wanted = [token for token in keyword_tokens(query) if token in self._model.vocab_dict]
        if not wanted:
            return []
        scores = self._model.get_scores(wanted)
        limit = min(limit, len(self._ids))
        top = np.argpartition(-scores, limit - 1)[:limit]
        ranked = sorted(top.tolist(), key=lambda index: -float(scores[index]))
        return [(self._ids[index], float(scores[index])) for index in ranked if scores[index] > 0]


def fuse(
    rankings: Sequence[tuple[Sequence[str], float]], k: int = RRF_K
) -> list[tuple[str, float]]:
    """Weighted reciprocal rank fusion of several rankings of the same items."""
    scores: dict[str, float] = {}
    for ranking, weight in rankings:
        for rank, item in enumerate(ranking):
            scores[item] = scores.get(item, 0.0) + weight / (k + rank + 1)
    return sorted(scores.items(), key=lambda pair: -pair[1])


def snippet(text: str, query: str, limit: int = 280) -> str:
    """The sentences of a passage that share the most words with the query, cut to `limit`."""
    wanted = set(keyword_tokens(query))
    sentences = [part.strip() for part in _SENTENCE.split(text) if part.strip()]
    if not sentences:
        return ""
    best = max(
        range(len(sentences)),
        key=lambda index: (len(wanted.intersection(keyword_tokens(sentences[index]))), -index),
    )
    picked = sentences[best]
    for following in sentences[best + 1 :]:
        if len(picked) + 1 + len(following) > limit:
            break
        picked = f"{picked} {following}"
    if len(picked) <= limit:
        return picked
    return picked[: limit - 1].rsplit(" ", 1)[0] + "…"
