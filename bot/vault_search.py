"""The vault's search index as the running bot uses it: opened on first use, kept in step."""

from __future__ import annotations

import asyncio
import fcntl
import logging
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, TextIO

from bot.config import Settings
from bot.llm.client import LLMClient, LLMUnavailable
from bot.llm.embedder import OllamaEmbedder
from knowledge.embedders import Embedder, offline_embedder

if TYPE_CHECKING:
    from bot.clock import Clock
    from bot.metrics import Metrics
    from knowledge.index import VaultIndex

log = logging.getLogger(__name__)

CHOICE_FILE = "embedder-choice"


class IndexBusyError(Exception):
    """Another Gepeto process is writing the index (a running bot keeps it up to date)."""


def _hold_index_lock(folder: Path) -> TextIO:
    """One process writes an index at a time: Chroma's folder is not safe for two writers."""
    folder.mkdir(parents=True, exist_ok=True)
    handle = (folder / ".lock").open("w")
    try:
        fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        handle.close()
        raise IndexBusyError(
            "Another Gepeto process is using the vault index (a running bot keeps it up to "
            "date by itself). Use /search in chat, or stop the bot first."
        ) from None
    return handle


class VaultSearch:
    """Opens the index lazily (Chroma and the embedder are heavy), once, for every caller."""

    def __init__(
        self,
        settings: Settings,
        llm: LLMClient | None,
        *,
        clock: Clock | None = None,
        metrics: Metrics | None = None,
    ) -> None:
        self._settings = settings
        self._llm = llm
        self._clock = clock
        self._metrics = metrics
        self._index: VaultIndex | None = None
        self._opening = asyncio.Lock()
        self._synced = False
        self._lock_file: TextIO | None = None

    async def index(self) -> VaultIndex:
        async with self._opening:
            if self._index is None:
                from knowledge.index import VaultIndex  # Chroma and LlamaIndex: only when used

                folder = self._settings.storage.data_dir / "index"
                self._lock_file = self._lock_file or _hold_index_lock(folder)
                embedder = await self._embedder()
                self._index = await asyncio.to_thread(
                    VaultIndex.open,
                    self._settings.storage.data_dir,
                    self._settings.vault.path,
                    embedder,
                )
                log.info("vault index open with %s", embedder.name)
            return self._index

    def close(self) -> None:
        """Lets another process write the index again."""
        if self._lock_file is not None:
            self._lock_file.close()
            self._lock_file = None
        self._index = None

    async def current(self) -> VaultIndex:
        """The index, brought in step with the vault once per process (the watcher keeps it so)."""
        index = await self.index()
        if not self._synced:
            await index.sync_async()
            self._synced = True
            self._count(index)
        return index

    def _count(self, index: VaultIndex) -> None:
        """The index's size and the time it caught up, for /metrics."""
        if self._metrics is not None and self._clock is not None:
            self._metrics.vault_synced(index.notes, index.passages, self._clock.now())

    async def keep_in_step(self, on_sync: Callable[[str], None] | None = None) -> None:
        """Re-indexes notes as they are saved in Obsidian, until cancelled."""
        index = await self.index()
        async for report in index.watch():
            self._synced = True
            self._count(index)
            summary = (
                f"vault re-indexed: {report.added} added, {report.changed} changed, "
                f"{report.removed} removed in {report.seconds:.1f} s"
            )
            log.info(summary)
            if on_sync is not None:
                on_sync(summary)

    async def _embedder(self) -> Embedder:
        """`offline`, `ollama`, or `auto`: Ollama if it answers the first time, then sticky.

        Sticky because switching embedder rebuilds the whole index.
        """
        wanted: str = self._settings.knowledge.embedder
        choice_file = self._settings.storage.data_dir / "index" / CHOICE_FILE
        if wanted == "auto":
            wanted = _read_choice(choice_file) or ("ollama" if self._llm else "offline")
        if wanted == "ollama" and self._llm is not None:
            try:
                embedder: Embedder = await OllamaEmbedder.probe(self._llm)
            except LLMUnavailable as error:
                if self._settings.knowledge.embedder == "ollama":
                    raise
                log.warning(
                    "Ollama embeddings unavailable (%s); using the offline embedder", error
                )
                embedder = offline_embedder()
        else:
            embedder = offline_embedder()
        if self._settings.knowledge.embedder == "auto":
            _write_choice(
                choice_file, "ollama" if embedder.name.startswith("ollama") else "offline"
            )
        return embedder


def _read_choice(path: Path) -> str | None:
    try:
        choice = path.read_text().strip()
    except OSError:
        return None
    return choice if choice in ("ollama", "offline") else None


def _write_choice(path: Path, choice: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(choice + "\n")
