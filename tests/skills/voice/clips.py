"""Voice notes made at test time: espeak-ng speaks, ffmpeg encodes OGG/Opus as Telegram sends."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[3]


def shared_data(name: str) -> Path:
    """../shared/data/<name> beside the checkout (or beside the folder of worktrees)."""
    places = [folder / "shared" / "data" / name for folder in (ROOT.parent, ROOT.parent.parent)]
    return next((place for place in places if place.is_dir()), places[0])


SHARED_CLIPS = shared_data("voice")

needs_speech_tools = pytest.mark.skipif(
    shutil.which("espeak-ng") is None or shutil.which("ffmpeg") is None,
    reason="espeak-ng and ffmpeg make the test voice notes (apt-get install espeak-ng ffmpeg)",
)
needs_ffmpeg = pytest.mark.skipif(
    shutil.which("ffmpeg") is None, reason="ffmpeg makes the test voice notes"
)


def spoken(folder: Path, sentence: str, voice: str = "en-us", name: str = "note") -> Path:
    """An OGG/Opus voice note of `sentence` (mono, 48 kHz, as a phone records it)."""
    wav = folder / f"{name}.wav"
    subprocess.run(
        ["espeak-ng", "-v", voice, "-s", "150", "-w", str(wav), sentence],
        check=True,
        capture_output=True,
    )
    return _opus(wav, folder / f"{name}.ogg")


def silence(folder: Path, seconds: int = 3) -> Path:
    """A voice note in which nobody says anything."""
    target = folder / "silence.ogg"
    subprocess.run(
        ["ffmpeg", "-nostdin", "-loglevel", "error", "-y", "-f", "lavfi", "-i",
         "anullsrc=r=48000:cl=mono", "-t", str(seconds), "-c:a", "libopus", str(target)],
        check=True,
        capture_output=True,
    )  # fmt: skip
    return target


def _opus(wav: Path, target: Path) -> Path:
    subprocess.run(
        ["ffmpeg", "-nostdin", "-loglevel", "error", "-y", "-i", str(wav), "-ac", "1",
         "-ar", "48000", "-c:a", "libopus", "-b:a", "28k", str(target)],
        check=True,
        capture_output=True,
    )  # fmt: skip
    return target
