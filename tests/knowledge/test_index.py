"""Keeping the vault's index in step with the notes: incremental, persistent, rebuildable."""

from __future__ import annotations

import asyncio
import os
from collections.abc import Sequence
from pathlib import Path

import pytest

from knowledge.embedders import OnnxE5Embedder
from knowledge.index import SyncReport, VaultIndex
from tests.knowledge.conftest import FAMILY_NOTES, write_note

pytestmark = pytest.mark.slow


class RetunedEmbedder:
    """The same model under another name, as when the family switches embedding settings."""

    def __init__(self, inner: OnnxE5Embedder) -> None:
        self._inner = inner

    @property
    def name(self) -> str:
        return f"{self._inner.name}+retuned"

    @property
    def dimension(self) -> int:
        return self._inner.dimension

    def embed_passages(self, texts: Sequence[str]) -> list[list[float]]:
        return self._inner.embed_passages(texts)

    def embed_query(self, text: str) -> list[float]:
        return self._inner.embed_query(text)


@pytest.fixture
def data_dir(tmp_path: Path) -> Path:
    return tmp_path / "data"


@pytest.fixture
def index(data_dir: Path, vault: Path, embedder: OnnxE5Embedder) -> VaultIndex:
    opened = VaultIndex.open(data_dir, vault, embedder)
    opened.sync()
    return opened


def top_path(index: VaultIndex, query: str) -> str:
    hits = index.search(query, k=3)
    assert hits, f"nothing found for {query!r}"
    return hits[0].path


def test_first_sync_indexes_notes_but_not_settings_trash_or_attachments(
    data_dir: Path, vault: Path, embedder: OnnxE5Embedder
) -> None:
    index = VaultIndex.open(data_dir, vault, embedder)
    progress: list[tuple[int, int]] = []

    report = index.sync(progress=lambda done, total: progress.append((done, total)))

    assert (report.added, report.changed, report.removed, report.unchanged) == (5, 0, 0, 0)
    assert report.rebuilt
    assert progress[-1] == (5, 5)
    assert index.notes == 5
    found = {hit.path for hit in index.search("old password tulip7 workspace layout", k=10)}
    assert not any(path.startswith((".obsidian", ".trash")) for path in found)


def test_search_finds_names_numbers_and_meaning(index: VaultIndex) -> None:
    assert top_path(index, "AZ-4471-9920") == "Car/Insurance.md"
    assert top_path(index, "what is the wifi password for guests?") == "House/Wi-Fi.md"
    assert top_path(index, "Wann fährt der Schulbus?") == "Kids/School.md"
    hit = index.search("how long does the apple pie bake", k=1)[0]
    assert (hit.title, hit.heading) == ("Grandma's apple pie", "Baking")
    assert "45 minutes" in hit.snippet


def test_hits_are_one_per_note(index: VaultIndex) -> None:
    hits = index.search("apple pie ingredients and baking", k=5)

    paths = [hit.path for hit in hits]
    assert len(paths) == len(set(paths))


def test_nothing_changed_means_nothing_embedded(index: VaultIndex) -> None:
    report = index.sync()

    assert (report.added, report.changed, report.removed, report.unchanged) == (0, 0, 0, 5)
    assert report.passages_embedded == 0


def test_a_changed_note_is_the_only_one_processed(index: VaultIndex, vault: Path) -> None:
    write_note(
        vault,
        "House/Wi-Fi.md",
        FAMILY_NOTES["House/Wi-Fi.md"].replace("sunflower42", "marigold88"),
    )

    report = index.sync()

    assert (report.added, report.changed, report.removed, report.unchanged) == (0, 1, 0, 4)
    # Only the edited passage goes through the model; the router section keeps its vector.
    assert report.passages_embedded == 1
    assert top_path(index, "marigold88") == "House/Wi-Fi.md"
    assert all("sunflower42" not in hit.passage for hit in index.search("sunflower42", k=5))


def test_a_deleted_note_leaves_the_results(index: VaultIndex, vault: Path) -> None:
    (vault / "Car/Insurance.md").unlink()

    report = index.sync()

    assert (report.removed, report.unchanged) == (1, 4)
    assert all(hit.path != "Car/Insurance.md" for hit in index.search("AZ-4471-9920 Allianz"))
    assert index.notes == 4


def test_the_index_survives_a_restart(
    data_dir: Path, vault: Path, embedder: OnnxE5Embedder, index: VaultIndex
) -> None:
    del index
    reopened = VaultIndex.open(data_dir, vault, embedder)

    assert reopened.notes == 5
    assert top_path(reopened, "AZ-4471-9920") == "Car/Insurance.md"
    report = reopened.sync()
    assert (report.unchanged, report.passages_embedded, report.rebuilt) == (5, 0, False)


def test_switching_embedder_rebuilds_instead_of_mixing_vectors(
    data_dir: Path, vault: Path, embedder: OnnxE5Embedder, index: VaultIndex
) -> None:
    switched = VaultIndex.open(data_dir, vault, RetunedEmbedder(embedder))

    assert switched.notes == 0
    assert switched.search("AZ-4471-9920") == []
    report = switched.sync()
    assert (report.added, report.rebuilt) == (5, True)
    assert top_path(switched, "AZ-4471-9920") == "Car/Insurance.md"


def test_rebuild_starts_from_scratch(index: VaultIndex) -> None:
    report = index.rebuild()

    assert (report.added, report.unchanged, report.rebuilt) == (5, 0, True)
    assert index.passages >= 5
    assert top_path(index, "AZ-4471-9920") == "Car/Insurance.md"


def test_broken_frontmatter_is_reported_and_the_note_still_indexed(
    index: VaultIndex, vault: Path
) -> None:
    write_note(vault, "Broken.md", "---\ntitle: [oops\n---\nThe spare key is under the gnome.\n")

    report = index.sync()

    assert report.added == 1
    assert "Broken.md" in report.problems
    assert top_path(index, "where is the spare key?") == "Broken.md"


async def test_the_watcher_picks_up_a_new_note(index: VaultIndex, vault: Path) -> None:
    ready, stop = asyncio.Event(), asyncio.Event()
    reports: asyncio.Queue[SyncReport] = asyncio.Queue()

    async def follow() -> None:
        async for report in index.watch(ready=ready, stop=stop, debounce_ms=100):
            await reports.put(report)

    watcher = asyncio.create_task(follow())
    try:
        await asyncio.wait_for(ready.wait(), timeout=30)
        write_note(vault, "Garden/Tomatoes.md", "# Tomatoes\n\nWater the tomatoes at dawn.\n")
        report = await asyncio.wait_for(reports.get(), timeout=60)
    finally:
        stop.set()
        await asyncio.wait_for(watcher, timeout=30)

    assert report.added == 1
    hits = await index.search_async("when should I water the tomatoes?", k=1)
    assert hits[0].path == "Garden/Tomatoes.md"


def test_a_note_saved_without_changes_is_not_reprocessed(index: VaultIndex, vault: Path) -> None:
    note = vault / "Kids/School.md"
    note.write_text(note.read_text("utf-8"), "utf-8")
    os.utime(note, ns=(note.stat().st_atime_ns, note.stat().st_mtime_ns + 5_000_000_000))

    report = index.sync()

    assert (report.changed, report.unchanged, report.passages_embedded) == (0, 5, 0)


def test_issue10_item1_symlink_out_of_vault_is_not_indexed(
    data_dir: Path, vault: Path, embedder: OnnxE5Embedder, tmp_path: Path
) -> None:
    passwd = tmp_path / "passwd"
    passwd.write_text("root:x:0:0:root:/root:/bin/bash\nzorblax:x:1000\n", encoding="utf-8")
    (vault / "Escape.md").symlink_to(passwd)
    (vault / "Plugin keys.md").symlink_to(vault / ".obsidian" / "workspace.md")
    index = VaultIndex.open(data_dir, vault, embedder)

    report = index.sync()

    assert report.added == 5
    found = {hit.path for hit in index.search("zorblax root bin bash sunflower42 layout", k=10)}
    assert not found & {"Escape.md", "Plugin keys.md"}


def test_a_passage_in_the_vaults_words_finds_what_the_question_alone_misses(
    index: VaultIndex,
) -> None:
    """The fast model's made-up passage (knowledge/expansion.py) is looked for as well, by
    meaning and by words: a German question about an English note then finds it."""
    question = "Bis wann muss das erneuert werden?"
    passage = "The car insurance policy renews every March with Allianz."

    assert top_path(index, question) != "Car/Insurance.md"
    assert index.search(question, k=1, also=passage)[0].path == "Car/Insurance.md"
    assert index.search(question, k=1, method="keywords") == []
    hit = index.search(question, k=1, method="keywords", also=passage)[0]
    assert hit.path == "Car/Insurance.md"
    assert index.language == "en"
