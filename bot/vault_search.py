"""The vault's search index as the running bot uses it: opened on first use, kept in step."""

from __future__ import annotations

import asyncio
import fcntl
import logging
import time
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, TextIO

from bot.config import Settings
from bot.llm.client import LLMClient, LLMUnavailable
from bot.llm.embedder import OllamaEmbedder
from bot.local_socket import indexing_line
from knowledge.embedders import Embedder, offline_embedder
from knowledge.expansion import QuestionExpander

if TYPE_CHECKING:
    from bot.clock import Clock
    from bot.metrics import Metrics
    from knowledge.index import IndexProgress, Progress, VaultIndex

log = logging.getLogger(__name__)

CHOICE_FILE = "embedder-choice"
PROGRESS_LOG_EVERY_S = 15.0


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
        embedder: Embedder | None = None,
    ) -> None:
        """`embedder`, when given, is used instead of the one `[knowledge] embedder` picks."""
        self._settings = settings
        self._chosen_embedder = embedder
        self._llm = llm
        self._clock = clock
        self._metrics = metrics
        self._index: VaultIndex | None = None
        self._opening = asyncio.Lock()
        self._catching_up: asyncio.Task[None] | None = None
        self._first_build_started = asyncio.Event()
        self._lock_file: TextIO | None = None
        self._expander: QuestionExpander | None = None
        if llm is not None:
            self._expander = QuestionExpander(lambda messages: llm.complete("fast", messages))

    async def index(self) -> VaultIndex:
        async with self._opening:
            if self._index is None:
                folder = self._settings.storage.data_dir / "index"
                self._lock_file = self._lock_file or _hold_index_lock(folder)
                embedder = await self._embedder()
                self._index = await asyncio.to_thread(self._open, embedder)
                log.info("vault index open with %s", embedder.name)
            return self._index

    async def rewritten(self, question: str) -> str:
        """The question as a passage in the notes' words and language, by the fast model; ""
        without a chat model or when it fails."""
        if self._expander is None or self._index is None:
            return ""
        return await self._expander.expand(question, self._index.language)

    @property
    def building(self) -> IndexProgress | None:
        """How far the vault's first index has come while it builds, else None."""
        return None if self._index is None else self._index.building

    @property
    def notes(self) -> int | None:
        """How many notes the index holds with their vectors; None before it is opened."""
        return None if self._index is None else self._index.notes

    def _open(self, embedder: Embedder) -> VaultIndex:
        """In a worker thread: importing Chroma and LlamaIndex alone takes seconds."""
        from knowledge.index import VaultIndex

        return VaultIndex.open(
            self._settings.storage.data_dir, self._settings.vault.path, embedder
        )

    def close(self) -> None:
        """Stops indexing after the current batch and lets another process write the index."""
        if self._index is not None:
            self._index.stop()
        if self._lock_file is not None:
            self._lock_file.close()
            self._lock_file = None
        self._index = None

    async def current(self) -> VaultIndex:
        """The index, brought in step with the vault once per process (the watcher keeps it so).

        While the vault's first index builds (minutes on a big vault) the index comes back as
        soon as its keyword snapshot is ready: `building` says so, and searches use keywords.
        """
        index = await self.index()
        if self._catching_up is None:
            self._first_build_started.clear()
            self._catching_up = asyncio.create_task(self._catch_up(index), name="vault-catch-up")
            self._catching_up.add_done_callback(_log_failure)
        catching_up = self._catching_up
        if not catching_up.done():
            started = asyncio.create_task(self._first_build_started.wait())
            try:
                await asyncio.wait({catching_up, started}, return_when=asyncio.FIRST_COMPLETED)
            finally:
                started.cancel()
        if catching_up.done() and catching_up.exception() is not None:
            self._catching_up = None  # the next question tries again
            catching_up.result()
        return index

    async def _catch_up(self, index: VaultIndex) -> None:
        await index.sync_async(self._progress(index, asyncio.get_running_loop()))
        self._count(index)

    def _progress(self, index: VaultIndex, loop: asyncio.AbstractEventLoop) -> Progress:
        """Logs a first build's progress now and then, and lets `current` answer meanwhile."""
        last_logged = time.monotonic()

        def told(_done: int, _todo: int) -> None:
            nonlocal last_logged
            building = index.building
            if building is None:
                return
            now = time.monotonic()
            if not self._first_build_started.is_set() or now - last_logged >= PROGRESS_LOG_EVERY_S:
                last_logged = now
                log.info("vault %s", indexing_line(building.as_data()))
            loop.call_soon_threadsafe(self._first_build_started.set)

        return told

    def _count(self, index: VaultIndex) -> None:
        """The index's size and the time it caught up, for /metrics."""
        if self._metrics is not None and self._clock is not None:
            self._metrics.vault_synced(index.notes, index.passages, self._clock.now())

    async def keep_in_step(self, on_sync: Callable[[str], None] | None = None) -> None:
        """Re-indexes notes as they are saved in Obsidian, until cancelled."""
        index = await self.current()
        async for report in index.watch():
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
        if self._chosen_embedder is not None:
            return self._chosen_embedder
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


def _log_failure(task: asyncio.Task[None]) -> None:
    if not task.cancelled() and task.exception() is not None:
        log.error(
            "indexing the vault failed; the next question tries again", exc_info=task.exception()
        )


def _read_choice(path: Path) -> str | None:
    try:
        choice = path.read_text().strip()
    except OSError:
        return None
    return choice if choice in ("ollama", "offline") else None


def _write_choice(path: Path, choice: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(choice + "\n")
