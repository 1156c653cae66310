"""Issue 18 item 3: while the vault's first index builds, questions are answered from keywords."""

from __future__ import annotations

import asyncio
import hashlib
import logging
import math
import re
import threading
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from bot.config import load_config
from bot.vault_search import VaultSearch
from knowledge import answers
from knowledge.index import FIRST_BUILD_PREVIEW_NOTES, IndexProgress, VaultIndex
from tests.knowledge.conftest import FAMILY_NOTES, write_note
from tests.support.home import write_bot_toml

WAIT_S = 60.0
GARDEN_NOTES = FIRST_BUILD_PREVIEW_NOTES
NOTES = len(FAMILY_NOTES) + GARDEN_NOTES


class HeldEmbedder:
    """Stands in for a slow model: each batch of passages waits until the test lets it go."""

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
    """A crude bag-of-words vector, enough to rank notes that share words with a question."""
    vector = [0.0] * 63 + [1.0]
    for word in re.findall(r"\w+", text.casefold()):
        vector[hashlib.blake2b(word.encode(), digest_size=2).digest()[0] % 63] += 1.0
    norm = math.sqrt(sum(x * x for x in vector))
    return [x / norm for x in vector]


def plant_garden(vault: Path) -> None:
    """Enough notes that the first build answers from keywords instead of being waited for."""
    for number in range(1, GARDEN_NOTES + 1):
        write_note(
            vault,
            f"Garden/Plant {number:02}.md",
            f"# Plant {number:02}\n\nWater the plant{number:02} pot every {number % 7 + 1} days.",
        )


@pytest.fixture
def held() -> HeldEmbedder:
    return HeldEmbedder()


def test_issue18_the_first_build_answers_from_keywords_and_counts_its_progress(
    tmp_path: Path, vault: Path, held: HeldEmbedder
) -> None:
    plant_garden(vault)
    index = VaultIndex.open(tmp_path / "data", vault, held)
    with ThreadPoolExecutor(1) as worker:
        building = worker.submit(index.sync)
        try:
            assert held.batch_started.acquire(timeout=WAIT_S)
            assert index.building == IndexProgress(done=0, total=NOTES, eta_seconds=None)

            wifi = index.search("guest wifi password", k=3)
            assert wifi[0].path == "House/Wi-Fi.md"
            assert "sunflower42" in wifi[0].snippet
            # A note whose passages nobody has embedded yet is found by its words.
            assert index.search("plant37 pot", k=1)[0].path == "Garden/Plant 37.md"
            assert held.questions == 0  # no vector search while the model is busy

            held.batches_allowed.release()
            assert held.batch_started.acquire(timeout=WAIT_S)
            progress = index.building
            assert progress is not None
            assert (progress.done, progress.total) == (16, NOTES)
            assert progress.eta_seconds is not None
        finally:
            held.let_all_go()
        report = building.result(timeout=WAIT_S)

    assert report.added == NOTES
    assert index.building is None
    assert index.search("guest wifi password", k=1)[0].path == "House/Wi-Fi.md"
    assert held.questions == 1  # built: searches are hybrid again


def test_issue18_a_small_first_build_is_waited_for_not_previewed(
    tmp_path: Path, vault: Path, held: HeldEmbedder
) -> None:
    index = VaultIndex.open(tmp_path / "data", vault, held)
    with ThreadPoolExecutor(1) as worker:
        building = worker.submit(index.sync)
        try:
            assert held.batch_started.acquire(timeout=WAIT_S)
            assert index.building is None
            assert index.search("guest wifi password") == []
        finally:
            held.let_all_go()
        building.result(timeout=WAIT_S)
    assert index.search("guest wifi password", k=1)[0].path == "House/Wi-Fi.md"


async def test_issue18_a_question_during_the_first_build_is_answered_at_once_and_says_so(
    tmp_path: Path, vault: Path, held: HeldEmbedder, caplog: pytest.LogCaptureFixture
) -> None:
    plant_garden(vault)
    settings = load_config(write_bot_toml(tmp_path), environ={}).settings
    search = VaultSearch(settings, None, embedder=held)
    caplog.set_level(logging.INFO)
    try:
        index = await asyncio.wait_for(search.current(), WAIT_S)

        assert search.building == IndexProgress(done=0, total=NOTES, eta_seconds=None)
        answer = await answers.ask(index, "What's the wifi password?")
        assert answer.text.startswith(
            f"I'm still reading your notes (0 of {NOTES}); "
            "this answer comes from a keyword search.\n\n"
        )
        assert "[[Wi-Fi]]" in answer.text
        assert "sunflower42" in answer.text
        assert f"indexing the vault: 0 of {NOTES} notes" in caplog.text
    finally:
        held.let_all_go()
    await asyncio.wait_for(search.current(), WAIT_S)
    await asyncio.wait_for(index.sync_async(), WAIT_S)  # waits for the first build's lock
    search.close()

    assert f"the vault's first index is built: {NOTES} notes" in caplog.text
    answer = await answers.ask(index, "What's the wifi password?")
    assert answer.text.startswith("Here is what the vault says:")
