"""An embedder that stands in for a slow model: each batch of passages waits for the test."""

from __future__ import annotations

import hashlib
import math
import re
import threading
from collections.abc import Sequence

WAIT_S = 60.0


class HeldEmbedder:
    """Holds an index build at every batch until the test lets it go; questions never wait.

    Vectors are hashed bags of words: enough to rank notes that share words with a question.
    """

    def __init__(self) -> None:
        self.batch_started = threading.Semaphore(0)
        self.batches_allowed = threading.Semaphore(0)
        self.questions = 0

    @property
    def name(self) -> str:
        return "held-word-hashes"

    @property
    def dimension(self) -> int:
        return 64

    def embed_passages(self, texts: Sequence[str]) -> list[list[float]]:
        self.batch_started.release()
        if not self.batches_allowed.acquire(timeout=WAIT_S):
            raise TimeoutError("the test never let this batch go")
        return [_word_hashes(text) for text in texts]

    def embed_query(self, text: str) -> list[float]:
        self.questions += 1
        return _word_hashes(text)

    def let_all_go(self) -> None:
        self.batches_allowed.release(1000)


def _word_hashes(text: str) -> list[float]:
    vector = [0.0] * 63 + [1.0]
    for word in re.findall(r"\w+", text.casefold()):
        vector[hashlib.blake2b(word.encode(), digest_size=2).digest()[0] % 63] += 1.0
    norm = math.sqrt(sum(x * x for x in vector))
    return [x / norm for x in vector]
