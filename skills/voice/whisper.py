"""faster-whisper's model, made to look at a voice note once when it must also guess the language.

Whisper always encodes 30-second windows, so for a short voice note the encoder is most of the
work. faster-whisper encodes the first window once to detect the language and again to write the
words; `ListeningModel` remembers its last encoding, and `language_of` encodes exactly the window
the transcription starts with, so the second pass is the first one reused.

Imported only when the model loads (faster-whisper and CTranslate2 take a while to import).
"""

from __future__ import annotations

import threading
from typing import Any

import numpy as np
from faster_whisper import WhisperModel
from faster_whisper.audio import pad_or_trim

FAMILY_LEANING = 3.0
"""How many times likelier than Whisper alone thinks a language the family has set counts: an
unsure guess ("Thai 26 %, German 23 %" for a German sentence) goes to the family's language, a
clear one in another language (a visiting grandmother's Spanish at 90 %) still wins."""


class ListeningModel(WhisperModel):  # type: ignore[misc]  # faster-whisper has no type hints
    """A WhisperModel that encodes the same window only once."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._remembered = threading.local()
        """Per worker thread: (window, its encoding), so two notes never see each other's."""

    def encode(self, features: np.ndarray) -> Any:
        last = getattr(self._remembered, "last", None)
        if last is not None and np.array_equal(last[0], features):
            return last[1]
        encoded = super().encode(features)
        self._remembered.last = (np.array(features, copy=True), encoded)
        return encoded

    def forget(self) -> None:
        """Drops the remembered encoding (a few MB) once a voice note is written down."""
        self._remembered.last = None

    def language_of(
        self, audio: np.ndarray, allowed: set[str], family: set[str] | None = None
    ) -> tuple[str, float]:
        """The most likely language of the note's first 30 s and Whisper's probability for it:
        among `allowed` unless it is empty, the `family`'s languages weighed `FAMILY_LEANING`
        times likelier."""
        features = self.feature_extractor(audio)
        # The window transcription begins with: faster-whisper leaves out the last frame.
        first = pad_or_trim(features[:, : features.shape[-1] - 1])
        ranked = self.model.detect_language(self.encode(first))[0]
        family = family or set()
        candidates = sorted(
            ((token[2:-2], probability) for token, probability in ranked),
            key=lambda pair: -pair[1] * (FAMILY_LEANING if pair[0] in family else 1.0),
        )
        chosen = [pair for pair in candidates if not allowed or pair[0] in allowed]
        language, probability = (chosen or candidates)[0]
        return str(language), float(probability)
