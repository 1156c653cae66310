"""Prints transcription seconds (and real-time factor) per voice note and OCR seconds per receipt.

Run: `python tests/benchmarks/voice_ocr.py [--threads N] [--only voice|receipts]` on the
development sets in ../shared/data/voice and ../shared/data/receipts. Voice notes are heard
twice: with the language given (as a member's language setting does) and detected. The first
call of each includes loading the model; its time is printed separately. Receipts print wall
and CPU (user+sys) seconds: on a box others share, the CPU figure is the steady one.
Nothing here asserts: it reports.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1].parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("HF_HUB_OFFLINE", "1")

from skills.receipts.parser import parse_receipt  # noqa: E402
from skills.receipts.reader import ReceiptReader  # noqa: E402
from skills.voice.settings import VoiceSettings  # noqa: E402
from skills.voice.transcriber import Transcriber  # noqa: E402


def shared(name: str) -> Path:
    places = [folder / "shared" / "data" / name for folder in (ROOT.parent, ROOT.parent.parent)]
    return next((place for place in places if place.is_dir()), places[0])


def voice(threads: int, data: Path) -> None:
    clips = shared("voice")
    truth = [json.loads(line) for line in (clips / "truth.jsonl").read_text().splitlines()]
    transcriber = Transcriber(VoiceSettings(cpu_threads=threads), data)
    started = time.perf_counter()
    transcriber.model()
    print(f"whisper base int8: model ready in {time.perf_counter() - started:.1f} s")
    for forced in (True, False):
        factors = []
        for clip in truth:
            started = time.perf_counter()
            heard = transcriber.transcribe(clips / clip["file"], clip["lang"] if forced else None)
            seconds = time.perf_counter() - started
            factors.append(seconds / heard.seconds)
            print(
                f"  {clip['file']} {'forced' if forced else 'detected':8} {seconds:5.2f} s "
                f"for {heard.seconds:4.1f} s of audio (RTF {seconds / heard.seconds:.2f}) "
                f"{heard.language} {heard.confidence:.2f} {heard.text}"
            )
        mode = "language given" if forced else "language detected"
        print(f"voice, {mode}: mean RTF {statistics.mean(factors):.2f}")


def receipts(threads: int | None) -> None:
    photos = shared("receipts")
    reader = ReceiptReader() if threads is None else ReceiptReader(threads)
    print(f"rapidocr: {reader.threads} thread(s) (0: onnxruntime chooses)")
    started, cpu = time.perf_counter(), time.process_time()
    reader.engine()
    print(
        f"rapidocr: engine ready in {time.perf_counter() - started:.1f} s "
        f"(CPU {time.process_time() - cpu:.1f} s)"
    )
    walls, cpus = [], []
    for photo in sorted(photos.glob("*.jpg")):
        started, cpu = time.perf_counter(), time.process_time()
        draft = parse_receipt(reader.read(photo))
        walls.append(time.perf_counter() - started)
        cpus.append(time.process_time() - cpu)
        print(
            f"  {photo.name} wall {walls[-1]:5.2f} s  CPU {cpus[-1]:5.2f} s  total {draft.total} "
            f"{draft.currency} (checked {draft.checked}) {draft.spent_on} {draft.merchant}"
        )
    print(
        f"receipts: {statistics.mean(walls):.2f} s wall, {statistics.mean(cpus):.2f} s CPU "
        f"(user+sys) per image (OCR + parse), slowest {max(walls):.2f} s wall"
    )


def main() -> None:
    options = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    options.add_argument(
        "--threads", type=int, help="0: the libraries choose; default: what the skills use"
    )
    options.add_argument("--only", choices=("voice", "receipts"), help="run one of the two")
    chosen = options.parse_args()
    print(f"load average before: {os.getloadavg()[0]:.2f} on {os.cpu_count()} cores")
    if chosen.only != "receipts":
        with tempfile.TemporaryDirectory() as data:
            voice(chosen.threads or 0, Path(data))
    if chosen.only != "voice":
        receipts(chosen.threads)
    print(f"load average after: {os.getloadavg()[0]:.2f}")


if __name__ == "__main__":
    main()
