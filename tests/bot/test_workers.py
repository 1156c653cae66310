"""The worker pool (issue 11, item 7): heavy work runs in threads, bounded per kind, so a long
transcription never holds up a receipt's OCR or the event loop."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Iterator

import pytest

from bot.workers import WorkerPool

WAIT_S = 10.0


class Job:
    """Blocking work that reports when it started and runs until released."""

    def __init__(self, name: str, started: list[str]) -> None:
        self.name = name
        self._started = started
        self.running = threading.Event()
        self.release = threading.Event()

    def __call__(self) -> str:
        self._started.append(self.name)
        self.running.set()
        if not self.release.wait(WAIT_S):
            raise TimeoutError(f"{self.name} was never released")
        return self.name


@pytest.fixture
def pool() -> Iterator[WorkerPool]:
    pool = WorkerPool({"transcribe": 1, "ocr": 2})
    yield pool
    pool.close()


async def running(job: Job) -> None:
    assert await asyncio.to_thread(job.running.wait, WAIT_S), f"{job.name} never started"


async def test_a_kind_never_runs_more_than_its_limit(pool: WorkerPool) -> None:
    started: list[str] = []
    first, second = Job("first note", started), Job("second note", started)
    tasks = [asyncio.create_task(pool.run("transcribe", job)) for job in (first, second)]
    await running(first)
    for _ in range(5):
        await asyncio.sleep(0)  # let the second task reach the pool

    assert started == ["first note"]
    assert pool.busy() == {"transcribe": 1}

    first.release.set()
    await running(second)
    second.release.set()
    assert await asyncio.gather(*tasks) == ["first note", "second note"]
    assert pool.busy() == {"transcribe": 0}


async def test_a_long_transcription_does_not_block_ocr_or_the_event_loop(
    pool: WorkerPool,
) -> None:
    started: list[str] = []
    whisper = Job("transcribe", started)
    transcribing = asyncio.create_task(pool.run("transcribe", whisper))
    await running(whisper)

    receipts = [pool.run("ocr", str.upper, text) for text in ("bread 2.10", "milk 0.99")]
    assert await asyncio.gather(*receipts) == ["BREAD 2.10", "MILK 0.99"]
    loop_answers = asyncio.create_task(asyncio.sleep(0, result="still here"))
    assert await loop_answers == "still here"
    assert not transcribing.done()

    whisper.release.set()
    assert await transcribing == "transcribe"


async def test_work_that_fails_frees_its_slot(pool: WorkerPool) -> None:
    def broken() -> None:
        raise ValueError("unreadable receipt")

    with pytest.raises(ValueError, match="unreadable receipt"):
        await pool.run("ocr", broken)

    assert pool.busy() == {"ocr": 0}
    assert await pool.run("ocr", str.strip, "  eggs ") == "eggs"
