"""Issue 18 item 3: while the vault's first index builds, questions are answered from keywords."""

from __future__ import annotations

import asyncio
import logging
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from bot.config import load_config
from bot.vault_search import VaultSearch
from knowledge import answers
from knowledge.index import IndexProgress, VaultIndex
from tests.fakes.held_embedder import WAIT_S, HeldEmbedder
from tests.knowledge.conftest import FAMILY_NOTES, GARDEN_NOTES, plant_garden
from tests.support.home import write_bot_toml

NOTES = len(FAMILY_NOTES) + GARDEN_NOTES


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
        assert f"vault indexing: 0/{NOTES} notes" in caplog.text
    finally:
        held.let_all_go()
    await asyncio.wait_for(search.current(), WAIT_S)
    await asyncio.wait_for(index.sync_async(), WAIT_S)  # waits for the first build's lock
    search.close()

    assert f"the vault's first index is built: {NOTES} notes" in caplog.text
    answer = await answers.ask(index, "What's the wifi password?")
    assert answer.text.startswith("Here is what the vault says:")


def test_issue18_a_stopped_first_build_keeps_its_work_and_the_next_start_finishes_it(
    tmp_path: Path, vault: Path, held: HeldEmbedder
) -> None:
    plant_garden(vault)
    index = VaultIndex.open(tmp_path / "data", vault, held)
    with ThreadPoolExecutor(1) as worker:
        building = worker.submit(index.sync)
        try:
            assert held.batch_started.acquire(timeout=WAIT_S)
            index.stop()  # the bot is shutting down while the first batch embeds
            held.batches_allowed.release()
            building.result(timeout=WAIT_S)  # returns after that batch, not after them all
        finally:
            held.let_all_go()

    assert index.notes == 16
    next_start = HeldEmbedder()
    next_start.let_all_go()
    again = VaultIndex.open(tmp_path / "data", vault, next_start)
    report = again.sync()
    assert report.added == NOTES - 16
    assert again.notes == NOTES
