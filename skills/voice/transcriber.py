"""Speech to text with faster-whisper: the model loaded once, on first use, in a worker thread.

`Transcriber.transcribe` is blocking (decoding and the model run on the CPU or the GPU); callers
hand `transcribe_gently` to the worker pool (`services.workers.run("transcribe", ...)`), which
also lowers the worker's CPU priority so that chats are answered first. Its problems are
`VoiceProblem`s whose text is the sentence for the member; the detail goes to the log.
"""

from __future__ import annotations

import logging
import math
import os
import sys
import threading
from collections.abc import Collection
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from skills.voice.model_files import ModelMissing, assemble_base
from skills.voice.settings import VoiceSettings

if TYPE_CHECKING:
    from skills.voice.whisper import ListeningModel

log = logging.getLogger(__name__)

SAMPLE_RATE = 16_000
GENTLE_NICENESS = 10
"""The CPU priority (Linux nice) of the thread that hears voice notes: chats are answered first."""
SILENCE_PEAK = 1e-3
"""Audio whose loudest sample is below this is silence: no need to run the model."""


class VoiceProblem(Exception):
    """A voice note that could not be turned into text; `str()` is the sentence for the member."""


class SilentClip(VoiceProblem):
    """Nothing was said in it."""


@dataclass(frozen=True)
class Transcript:
    text: str
    language: str
    confidence: float
    """0–1: e^(average log-probability per token) over the spoken segments."""
    seconds: float

    def as_json(self) -> dict[str, Any]:
        return {"text": self.text, "language": self.language, "confidence": self.confidence}


def whisper_language(language: str | None, known: set[str]) -> str | None:
    """'pt-BR' → 'pt' when Whisper knows it; None (detect) otherwise."""
    if not language:
        return None
    code = language.replace("_", "-").split("-")[0].lower()
    return code if code in known else None


class Transcriber:
    """One Whisper model for the whole process, loaded by whichever note needs it first."""

    def __init__(self, settings: VoiceSettings, data_dir: Path) -> None:
        self.settings = settings
        self._models = data_dir / "models"
        self._model: ListeningModel | None = None
        self._loading = threading.Lock()

    def model_folder(self) -> str:
        """Where the model is: the assembled base, a folder, or a size name for faster-whisper."""
        name = self.settings.model
        if name == "base":
            return str(assemble_base(self._models / "whisper-base"))
        folder = Path(name).expanduser()
        if folder.is_dir() or "/" in name or name.startswith("."):
            if not (folder / "model.bin").is_file():
                raise ModelMissing(f"{folder} holds no CTranslate2 model.bin")
            return str(folder)
        return name

    def model(self) -> ListeningModel:
        with self._loading:
            if self._model is None:
                self._model = self._load()
            return self._model

    def _load(self) -> ListeningModel:
        if self.settings.model == "base":  # never a hub lookup for the bundled model
            os.environ.setdefault("HF_HUB_OFFLINE", "1")
        from skills.voice.whisper import ListeningModel

        where = self.model_folder()
        threads = self.settings.cpu_threads or cores()
        log.info(
            "loading Whisper %s on %s, %d CPU threads (%s)",
            where,
            self.settings.device,
            threads,
            self.settings,
        )
        return ListeningModel(
            where,
            device=self.settings.device,
            compute_type=self.settings.compute_type,
            cpu_threads=threads,
            download_root=str(self._models),
            local_files_only=self.settings.model == "base",
        )

    def transcribe_gently(
        self, path: Path, language: str | None = None, family: Collection[str] = ()
    ) -> Transcript:
        """`transcribe` for a worker thread: the thread (and the Whisper threads it starts) first
        gives way to the event loop, so other chats are answered quickly meanwhile."""
        _give_way()
        return self.transcribe(path, language, family)

    def transcribe(
        self, path: Path, language: str | None = None, family: Collection[str] = ()
    ) -> Transcript:
        """The words of the voice note at `path`, in the speaker's `language` when it is set,
        else in the language Whisper hears, leaning to the `family`'s languages (the
        household's and its members'); raises VoiceProblem."""
        audio = self._decode(path)
        seconds = len(audio) / SAMPLE_RATE
        if seconds > self.settings.max_seconds:
            raise VoiceProblem(
                f"That voice note is {_minutes(seconds)} long; I can listen to up to "
                f"{_minutes(self.settings.max_seconds)} — please send a shorter one."
            )
        if seconds < 0.1 or float(abs(audio).max()) < SILENCE_PEAK:
            raise SilentClip("I couldn't hear anything in that voice note.")
        try:
            model = self.model()
        except ModelMissing as missing:
            log.error("the Whisper model is missing: %s", missing)
            raise VoiceProblem(
                "I can't listen to voice notes right now: my speech model is missing "
                "(an admin can run `gepeto doctor`). Please type your message."
            ) from None
        except Exception:
            log.exception("could not load the Whisper model %s", self.settings.model)
            raise VoiceProblem(
                "I can't listen to voice notes right now: my speech model did not load. "
                "Please type your message."
            ) from None
        known = set(model.supported_languages)
        spoken_in = whisper_language(language, known)
        allowed = {whisper_language(code, known) for code in self.settings.languages}
        leaning = {whisper_language(code, known) for code in family}
        try:
            if spoken_in is None:
                spoken_in, _ = model.language_of(
                    audio, {code for code in allowed if code}, {code for code in leaning if code}
                )
            segments, info = model.transcribe(
                audio,
                language=spoken_in,
                beam_size=self.settings.beam_size,
                condition_on_previous_text=False,  # a voice note is one thought, not a lecture
            )
            spoken = [segment for segment in segments if segment.text.strip()]
        finally:
            model.forget()
        text = " ".join(" ".join(segment.text.split()) for segment in spoken).strip()
        if not text:
            raise SilentClip("I couldn't hear anything in that voice note.")
        weights = [max(1, len(segment.tokens)) for segment in spoken]
        mean = sum(s.avg_logprob * w for s, w in zip(spoken, weights, strict=True)) / sum(weights)
        return Transcript(
            text=text,
            language=info.language,
            confidence=round(math.exp(mean), 3),
            seconds=round(seconds, 2),
        )

    def _decode(self, path: Path) -> Any:
        from faster_whisper.audio import decode_audio

        try:
            return decode_audio(str(path), sampling_rate=SAMPLE_RATE)
        except Exception:
            log.warning("could not decode the voice note %s", path, exc_info=True)
            raise VoiceProblem(
                "I couldn't play that voice note — it may be damaged. Please record it again."
            ) from None


def _give_way() -> None:
    """Lowers this thread's CPU priority (Linux: threads started from it inherit it)."""
    if sys.platform != "linux":
        return
    thread = threading.get_native_id()
    try:
        if os.getpriority(os.PRIO_PROCESS, thread) < GENTLE_NICENESS:
            os.setpriority(os.PRIO_PROCESS, thread, GENTLE_NICENESS)
    except OSError:
        log.debug("could not lower the priority of the voice worker", exc_info=True)


def cores() -> int:
    """The CPU cores this process may use (CTranslate2 would otherwise start 4 threads)."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        return os.cpu_count() or 1


def _minutes(seconds: float) -> str:
    if seconds < 90:
        return f"{round(seconds)} seconds"
    return f"{round(seconds / 60)} minutes"
