"""Prints voice-note speed (real-time factor, wall and CPU) and word error rate, and OCR seconds.

Run: `python tests/benchmarks/voice_ocr.py [--threads N] [--beam N] [--ocr-threads N]
[--only voice|receipts]` on the development sets in ../shared/data/voice and
../shared/data/receipts. Voice notes are heard with the language given (as a member's language
setting does) and detected; then once more through the real router while another member's typed
messages are answered, to show what a voice note costs the other chat (issue 14, item 6: RTF ≤
0.5 on a 2-core box). RTF is seconds of compute per second of audio; CPU is user + sys of this
process (the machine may be shared, so wall time alone says little). WER counts as
../shared/data/voice/baseline.py does. Receipts print wall and CPU seconds per image (OCR +
parse). Nothing here asserts: it reports.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import math
import os
import resource
import statistics
import sys
import tempfile
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1].parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("HF_HUB_OFFLINE", "1")

from bot.app import open_app  # noqa: E402
from bot.channels.console import read_local_file  # noqa: E402
from bot.config import load_config  # noqa: E402
from bot.messages import Attachment, Incoming  # noqa: E402
from skills.receipts.parser import parse_receipt  # noqa: E402
from skills.receipts.reader import ReceiptReader  # noqa: E402
from skills.voice.model_files import assemble_base  # noqa: E402
from skills.voice.settings import VoiceSettings  # noqa: E402
from skills.voice.transcriber import Transcriber, cores  # noqa: E402
from tests.skills.voice.word_errors import word_errors  # noqa: E402
from tests.support.home import FamilyChats, write_bot_toml  # noqa: E402

TYPED = "add milk to the shopping list"
QUIET_MESSAGES = 20
TYPING_PAUSE_S = 0.2
"""Ben types a message every 0.2 s while the voice notes are heard (a busy family chat)."""
NO_LIMITS = "[safety]\nmessages_per_minute = 100000\nburst = 100000\n"
VOICE_CHAT, TYPING_CHAT = "1001", "1002"


def shared(name: str) -> Path:
    places = [folder / "shared" / "data" / name for folder in (ROOT.parent, ROOT.parent.parent)]
    return next((place for place in places if place.is_dir()), places[0])


def cpu_seconds() -> float:
    """User + sys seconds of this process, all threads."""
    used = resource.getrusage(resource.RUSAGE_SELF)
    return used.ru_utime + used.ru_stime


@dataclass
class Tally:
    """Seconds of audio heard, wall and CPU seconds spent, words wrong out of words said."""

    audio: float = 0.0
    wall: float = 0.0
    cpu: float = 0.0
    errors: int = 0
    words: int = 0
    wrong_language: list[str] = field(default_factory=list)

    def summary(self) -> str:
        return (
            f"RTF wall {self.wall / self.audio:.2f}, CPU {self.cpu / self.audio:.2f}; "
            f"WER {self.errors / max(1, self.words):.3f} ({self.errors}/{self.words} words); "
            f"language wrong: {', '.join(self.wrong_language) or 'none'}"
        )


def development_clips() -> tuple[Path, list[dict[str, str]]]:
    clips = shared("voice")
    truth = [json.loads(line) for line in (clips / "truth.jsonl").read_text().splitlines()]
    return clips, truth


def voice(settings: VoiceSettings, data: Path) -> dict[str, float]:
    """Seconds of audio of each clip, after printing how each was heard."""
    clips, truth = development_clips()
    lengths: dict[str, float] = {}
    transcriber = Transcriber(settings, data)
    started, spent = time.perf_counter(), cpu_seconds()
    transcriber.model()
    print(
        f"whisper {settings.model} {settings.compute_type}, beam {settings.beam_size}, "
        f"{settings.cpu_threads or cores()} threads, family languages "
        f"{','.join(settings.languages) or 'any'}: model ready in "
        f"{time.perf_counter() - started:.1f} s (CPU {cpu_seconds() - spent:.1f} s)"
    )
    for forced in (True, False):
        tally = Tally()
        for clip in truth:
            started, spent = time.perf_counter(), cpu_seconds()
            heard = transcriber.transcribe(clips / clip["file"], clip["lang"] if forced else None)
            wall, cpu = time.perf_counter() - started, cpu_seconds() - spent
            errors, words = word_errors(clip["text"], heard.text, clip["lang"])
            lengths[clip["file"]] = heard.seconds
            tally.audio += heard.seconds
            tally.wall += wall
            tally.cpu += cpu
            tally.errors += errors
            tally.words += words
            if heard.language != clip["lang"]:
                tally.wrong_language.append(f"{clip['file']} as {heard.language}")
            print(
                f"  {clip['file']} {'forced' if forced else 'detected':8} {heard.seconds:4.1f} s: "
                f"wall {wall:5.2f} s, CPU {cpu:5.2f} s (RTF {wall / heard.seconds:.2f} / "
                f"{cpu / heard.seconds:.2f}) {heard.language} {heard.confidence:.2f} "
                f"{errors}/{words} wrong: {heard.text}"
            )
        mode = "language given" if forced else "language detected"
        print(f"voice, {mode}: {tally.summary()}")
    return lengths


def ms(seconds: float) -> str:
    return f"{seconds * 1000:.1f} ms"


def spread(values: Sequence[float]) -> str:
    ordered = sorted(values)
    p90 = ordered[min(len(ordered) - 1, math.ceil(0.9 * len(ordered)) - 1)]
    return (
        f"{len(ordered)} messages: median {ms(statistics.median(ordered))}, "
        f"p90 {ms(p90)}, max {ms(ordered[-1])}"
    )


@dataclass
class Household:
    """A real app and router: Ana sends the voice notes, Ben types to the shopping list."""

    chats: FamilyChats
    sent: int = 0

    def message(self, sender: str, text: str = "", voice: Path | None = None) -> Incoming:
        self.sent += 1
        attachments: tuple[Attachment, ...] = ()
        if voice is not None:
            size = voice.stat().st_size
            attachments = (Attachment(kind="voice", file_id=str(voice), size=size),)
        return Incoming(
            channel="telegram",
            chat_id=sender,
            sender=sender,
            event_id=f"bench-{self.sent}",
            received_at=datetime.now(UTC),
            text=text,
            attachments=attachments,
        )

    async def typed(self) -> float:
        """Seconds until Ben's typed message was handled (fast path: no LLM)."""
        started = time.perf_counter()
        outcome = await self.chats.router.handle_now(self.message(TYPING_CHAT, TYPED))
        if outcome is None or outcome.route != "fast":
            raise RuntimeError(f"the typed message was not handled by the fast path: {outcome}")
        return time.perf_counter() - started


async def beside_a_chat(settings: VoiceSettings, folder: Path, lengths: dict[str, float]) -> None:
    """Voice notes through the router while another chat is answered, and that chat's latency."""
    clips, truth = development_clips()
    model = assemble_base(folder / "whisper-base")
    bot_toml = write_bot_toml(
        folder,
        NO_LIMITS + f'[skills.voice]\nmodel = "{model}"\nbeam_size = {settings.beam_size}\n'
        f"cpu_threads = {settings.cpu_threads}\nlanguages = {json.dumps(settings.languages)}\n"
        "sure_above = 0.01\n",
    )
    async with open_app(load_config(bot_toml, environ={})) as app:
        app.media.register("telegram", read_local_file)
        await app.family.add("Ana", "parent")
        await app.family.link("Ana", f"telegram:{VOICE_CHAT}")
        await app.family.add("Ben", "adult")
        await app.family.link("Ben", f"telegram:{TYPING_CHAT}")
        home = Household(FamilyChats.open(app))
        await home.typed()  # first message: vault folders, fast-path tables
        quiet = [await home.typed() for _ in range(QUIET_MESSAGES)]
        await home.chats.router.handle_now(home.message(VOICE_CHAT, voice=clips / "d01.ogg"))

        busy: list[float] = []
        tally = Tally()

        async def talking() -> None:
            for clip in truth:
                outcome = await home.chats.router.handle_now(
                    home.message(VOICE_CHAT, voice=clips / clip["file"])
                )
                heard = next(a for a in (outcome.actions if outcome else ()) if a.detail)
                errors, words = word_errors(clip["text"], str(heard.detail), clip["lang"])
                tally.errors += errors
                tally.words += words
                tally.audio += lengths[clip["file"]]
                if heard.args["language"] != clip["lang"]:
                    tally.wrong_language.append(f"{clip['file']} as {heard.args['language']}")

        started, spent = time.perf_counter(), cpu_seconds()
        voices = asyncio.create_task(talking())
        while not voices.done():
            busy.append(await home.typed())
            await asyncio.sleep(TYPING_PAUSE_S)
        await voices
        tally.wall, tally.cpu = time.perf_counter() - started, cpu_seconds() - spent
    print("while another chat is answered (language detected, notes through the router):")
    print(f"  voice: {tally.summary()}")
    print(f"  (CPU includes the other chat's {len(busy)} messages; wall includes the routing)")
    print(f"  other chat, quiet: {spread(quiet)}")
    print(f"  other chat, during the voice notes: {spread(busy)}")


def receipts(threads: int | None) -> None:
    photos = shared("receipts")
    reader = ReceiptReader() if threads is None else ReceiptReader(threads)
    print(f"rapidocr: {reader.threads} thread(s) (0: onnxruntime chooses)")
    started, cpu = time.perf_counter(), cpu_seconds()
    reader.engine()
    print(
        f"rapidocr: engine ready in {time.perf_counter() - started:.1f} s "
        f"(CPU {cpu_seconds() - cpu:.1f} s)"
    )
    walls, cpus = [], []
    for photo in sorted(photos.glob("*.jpg")):
        started, cpu = time.perf_counter(), cpu_seconds()
        draft = parse_receipt(reader.read(photo))
        walls.append(time.perf_counter() - started)
        cpus.append(cpu_seconds() - cpu)
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
    options.add_argument("--threads", type=int, default=0, help="0: one per core")
    options.add_argument("--beam", type=int, default=VoiceSettings().beam_size)
    options.add_argument(
        "--languages", default="", help="the family's languages, e.g. en,de,pt,es (default: any)"
    )
    options.add_argument(
        "--ocr-threads", type=int, help="0: onnxruntime chooses; default: what the skill uses"
    )
    options.add_argument("--only", choices=("voice", "receipts"))
    chosen = options.parse_args()
    print(f"load average before: {os.getloadavg()[0]:.2f} on {os.cpu_count()} cores")
    settings = VoiceSettings(
        cpu_threads=chosen.threads,
        beam_size=chosen.beam,
        languages=[code for code in chosen.languages.split(",") if code],
    )
    if chosen.only != "receipts":
        with tempfile.TemporaryDirectory() as data:
            lengths = voice(settings, Path(data))
            asyncio.run(beside_a_chat(settings, Path(data), lengths))
    if chosen.only != "voice":
        receipts(chosen.ocr_threads)
    print(f"load average after: {os.getloadavg()[0]:.2f}")


if __name__ == "__main__":
    main()
