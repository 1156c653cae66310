"""The vault's search index: kept in step with the notes, survives restarts, rebuildable."""

from __future__ import annotations

import asyncio
import json
import logging
import os
import threading
import time
from collections.abc import AsyncIterator, Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

import chromadb
from chromadb.api.types import Where
from chromadb.config import Settings as ChromaSettings
from llama_index.core.ingestion import DocstoreStrategy, IngestionPipeline
from llama_index.core.schema import BaseNode, Document
from llama_index.core.storage.docstore import SimpleDocumentStore
from llama_index.vector_stores.chroma import ChromaVectorStore
from watchfiles import Change, awatch

from knowledge.chunking import DEFAULT_MAX_CHARS
from knowledge.embedders import Embedder
from knowledge.ingestion import (
    NoteSplitter,
    PassageEmbedding,
    note_document,
    passage_keyword_text,
    vault_notes,
)
from knowledge.ranking import NoteCards, rank_notes, top_score
from knowledge.retrieval import RRF_K, KeywordIndex, Passage, fuse, snippet
from knowledge.vault import inside_vault, read_note_bytes

logger = logging.getLogger(__name__)

INDEX_FORMAT = 1
COLLECTION = "vault-passages"
NOTES_PER_BATCH = 16
CANDIDATES = 75
"""Passages each ranking (words, meaning) brings to the fusion. Deeper than the answers need:
a passage one ranking puts first and the other 60th should still count from both (with 50, the
development questions lost two such notes)."""
FIRST_BUILD_PREVIEW_NOTES = 40
"""A first build of at least this many notes answers from keywords until it is done; a smaller
one takes seconds, and is waited for."""

SearchMethod = Literal["hybrid", "keywords", "vectors"]
Progress = Callable[[int, int], None]
"""Told (notes done, notes to do) while a sync works through changed notes."""


@dataclass(frozen=True)
class SyncReport:
    """What one pass over the vault changed in the index."""

    added: int
    changed: int
    removed: int
    unchanged: int
    seconds: float
    passages_embedded: int = 0
    rebuilt: bool = False
    problems: dict[str, tuple[str, ...]] = field(default_factory=dict)

    @property
    def touched(self) -> bool:
        """True when any note was added, changed or removed."""
        return bool(self.added or self.changed or self.removed)


@dataclass(frozen=True)
class IndexProgress:
    """How far the first build of the index has come; searches meanwhile use keywords alone."""

    done: int
    """Notes with vectors, of `total`."""
    total: int
    eta_seconds: float | None
    """Seconds the rest may take at the pace so far; None before the first batch is done."""

    def as_data(self) -> dict[str, Any]:
        """The progress as plain data, for the local socket and `gepeto search --json`."""
        eta = self.eta_seconds
        return {
            "done": self.done,
            "total": self.total,
            "eta_seconds": None if eta is None else round(eta),
        }


@dataclass
class _FirstBuild:
    """A first build under way: its keyword snapshot of every note, and its progress."""

    passages: dict[str, Passage]
    keywords: KeywordIndex
    done_before: int
    total: int
    started: float = field(default_factory=time.monotonic)
    done: int = 0

    def progress(self) -> IndexProgress:
        eta = None
        if self.done:
            pace = (time.monotonic() - self.started) / self.done
            eta = pace * (self.total - self.done_before - self.done)
        return IndexProgress(done=self.done_before + self.done, total=self.total, eta_seconds=eta)


@dataclass(frozen=True)
class SearchHit:
    """One note that answers a query, with the passage that matched best."""

    path: str
    title: str
    heading: str
    score: float
    snippet: str
    passage: str

    def as_data(self) -> dict[str, Any]:
        """The hit as plain data, for a tool's result and `gepeto search --json`."""
        return {
            "path": self.path,
            "title": self.title,
            "heading": self.heading,
            "score": round(self.score, 4),
            "snippet": self.snippet,
        }


class VaultIndex:
    """Notes of one vault in a persistent Chroma collection plus BM25, found by hybrid search.

    Methods without `_async` block (file reads, embeddings, Chroma): call them from a worker
    thread, or use the `_async` variants, which do that for you.
    """

    def __init__(
        self, data_dir: Path, vault_path: Path, embedder: Embedder, max_chars: int
    ) -> None:
        self.vault_path = vault_path.absolute()
        self.embedder = embedder
        self._folder = data_dir / "index"
        self._max_chars = max_chars
        self._write_lock = threading.Lock()
        self._stopping = threading.Event()
        self._searches = asyncio.Semaphore(2)
        self._folder.mkdir(parents=True, exist_ok=True)
        self._client = chromadb.PersistentClient(
            path=str(self._folder / "chroma"),
            settings=ChromaSettings(anonymized_telemetry=False, allow_reset=False),
        )
        # Wiped when made by another embedder or format; progress of an interrupted first
        # index is kept, because the manifest is written as soon as the index is empty.
        self._from_scratch = self._manifest() != self._expected_manifest()
        if self._from_scratch:
            self._wipe()
            self._write_manifest()
        self._collection = self._client.get_or_create_collection(
            COLLECTION, embedding_function=None, metadata={"hnsw:space": "cosine"}
        )
        self._docstore = self._load_docstore()
        self._splitter = NoteSplitter(
            max_chars=max_chars, include_metadata=True, include_prev_next_rel=False
        )
        self._embedding = PassageEmbedding(embedder=embedder)
        self._pipeline = IngestionPipeline(
            transformations=[self._splitter, self._embedding],
            vector_store=ChromaVectorStore(chroma_collection=self._collection),
            docstore=self._docstore,
            docstore_strategy=DocstoreStrategy.UPSERTS,
            # Its cache hashes every batch of nodes and stores copies of them; a batch of
            # changed notes never repeats, so it costs time and memory and never hits.
            disable_cache=True,
        )
        self._passages: dict[str, Passage] = {}
        self._keywords = KeywordIndex()
        self._cards = NoteCards()
        self._stamps: dict[str, tuple[int, int, str]] = {}
        self._first_build: _FirstBuild | None = None
        self._load_passages()

    @classmethod
    def open(
        cls,
        data_dir: Path,
        vault_path: Path,
        embedder: Embedder,
        max_chars: int = DEFAULT_MAX_CHARS,
    ) -> VaultIndex:
        """Opens (or creates) the index kept under `data_dir/index/` for this vault.

        An index made by another embedder or format is wiped; the next sync rebuilds it.
        """
        return cls(data_dir, vault_path, embedder, max_chars)

    @property
    def notes(self) -> int:
        """How many notes the index holds."""
        return len(self._docstore.get_all_document_hashes())

    @property
    def passages(self) -> int:
        """How many passages the index holds."""
        return len(self._passages)

    @property
    def building(self) -> IndexProgress | None:
        """The first build's progress while it runs (searches answer from keywords), else None."""
        first_build = self._first_build
        return None if first_build is None else first_build.progress()

    def stop(self) -> None:
        """Asks a running sync to stop after its current batch (the bot is shutting down).

        What was embedded is kept; the next start carries on with the notes that are left.
        """
        self._stopping.set()

    def sync(self, progress: Progress | None = None) -> SyncReport:
        """Brings the index in step with the vault: only added, changed or removed notes work."""
        with self._write_lock:
            return self._sync(progress)

    def rebuild(self, progress: Progress | None = None) -> SyncReport:
        """Forgets everything and indexes the whole vault again."""
        with self._write_lock:
            self._wipe()
            self._collection = self._client.get_or_create_collection(
                COLLECTION, embedding_function=None, metadata={"hnsw:space": "cosine"}
            )
            self._pipeline.vector_store = ChromaVectorStore(chroma_collection=self._collection)
            self._docstore = SimpleDocumentStore()
            self._pipeline.docstore = self._docstore
            self._passages = {}
            self._keywords = KeywordIndex()
            self._cards = NoteCards()
            self._stamps = {}
            self._write_manifest()
            self._from_scratch = True
            return self._sync(progress)

    def search(
        self, query: str, k: int = 5, method: SearchMethod = "hybrid", also: str = ""
    ) -> list[SearchHit]:
        """The `k` notes that best match the query, one hit per note.

        "hybrid" ranks notes by passage words, passage meaning and the notes' own cards
        (knowledge/ranking.py); "keywords" and "vectors" use one passage ranking alone.
        While the first build runs (see `building`) every search uses keywords alone, over
        every note of the vault. `also` is a passage written for the query in the vault's
        words (knowledge/expansion.py): passages like it are looked for too.
        """
        passages, keywords, cards = self._passages, self._keywords, self._cards
        first_build = self._first_build
        if first_build is not None:
            passages, keywords, method = first_build.passages, first_build.keywords, "keywords"
        if not passages or not query.strip():
            return []
        by_vector: list[str] = []
        if method != "keywords":
            by_vector = self._nearest(self.embedder.embed_query(query), passages)
            if also:
                alike = self._nearest(self.embedder.embed_passages([also])[0], passages)
                by_vector = [chunk_id for chunk_id, _ in fuse([(by_vector, 1.0), (alike, 1.0)])]
        by_keyword: list[str] = []
        if method != "vectors":
            by_keyword = [chunk_id for chunk_id, _ in keywords.search(query, CANDIDATES)]
            if also:
                worded = [chunk_id for chunk_id, _ in keywords.search(also, CANDIDATES)]
                by_keyword = [cid for cid, _ in fuse([(by_keyword, 1.0), (worded, 1.0)])]
        if method == "hybrid":
            # The passage is in the vault's language: judged with it, the words count in full.
            asked = f"{query}\n{also}" if also else query
            known = keywords.known_share(asked)
            ranked = rank_notes(asked, passages, by_vector, by_keyword, cards, known_words=known)
            best = [(note.path, note.chunk_id, note.score) for note in ranked]
            scale = top_score()
        else:
            best = _best_per_note(fuse([(by_vector, 1.0), (by_keyword, 1.0)]), passages)
            scale = 1 / (RRF_K + 1)
        hits = []
        for path, chunk_id, score in best[:k]:
            passage = passages[chunk_id]
            hits.append(
                SearchHit(
                    path=path,
                    title=passage.title,
                    heading=passage.heading,
                    score=round(score / scale, 4),
                    snippet=snippet(passage.text, query),
                    passage=passage.text,
                )
            )
        return hits

    def _nearest(self, vector: Sequence[float], passages: Mapping[str, Passage]) -> list[str]:
        """Chunk ids of the passages nearest to the vector, nearest first."""
        found = self._collection.query(
            query_embeddings=[vector], n_results=min(CANDIDATES, len(passages)), include=[]
        )
        return [chunk_id for chunk_id in found["ids"][0] if chunk_id in passages]

    @property
    def language(self) -> str:
        """The main language of the notes ("en", "de", …), "" before any are read."""
        return self._cards.language

    async def sync_async(self, progress: Progress | None = None) -> SyncReport:
        """`sync` in a worker thread."""
        return await asyncio.to_thread(self.sync, progress)

    async def rebuild_async(self, progress: Progress | None = None) -> SyncReport:
        """`rebuild` in a worker thread."""
        return await asyncio.to_thread(self.rebuild, progress)

    async def search_async(
        self, query: str, k: int = 5, method: SearchMethod = "hybrid", also: str = ""
    ) -> list[SearchHit]:
        """`search` in a worker thread, at most two at a time."""
        async with self._searches:
            return await asyncio.to_thread(self.search, query, k, method, also)

    async def watch(
        self,
        *,
        ready: asyncio.Event | None = None,
        stop: asyncio.Event | None = None,
        debounce_ms: int = 400,
    ) -> AsyncIterator[SyncReport]:
        """Syncs once, then again whenever notes change; yields each sync that changed something.

        `ready` is set once the vault is watched and the first sync is done; setting `stop`
        ends the iteration.
        """
        started = False
        async for changes in awatch(
            self.vault_path,
            watch_filter=self._is_note_change,
            debounce=debounce_ms,
            stop_event=stop,
            rust_timeout=500,
            yield_on_timeout=True,
        ):
            if started and not changes:
                continue
            try:
                report = await self.sync_async()
            except Exception:
                logger.exception("re-indexing the vault after a change failed; will retry")
                continue
            if not started:
                started = True
                if ready is not None:
                    ready.set()
            if report.touched:
                yield report

    def _sync(self, progress: Progress | None) -> SyncReport:
        started = time.perf_counter()
        rebuilt, self._from_scratch = self._from_scratch, False
        known = {
            doc_id: doc_hash
            for doc_hash, doc_id in self._docstore.get_all_document_hashes().items()
        }
        present: set[str] = set()
        documents: dict[str, Document] = {}
        stamps: dict[str, tuple[int, int, str]] = {}
        # Like git's racy-clean rule: a note written in the last two seconds may change again
        # within the file system's time resolution at the same size, so it is read next time.
        settled_before = time.time_ns() - 2_000_000_000
        for relative, path in vault_notes(self.vault_path):
            present.add(relative)
            status = path.stat()
            stamp = (status.st_mtime_ns, status.st_size)
            seen = self._stamps.get(relative)
            # A note whose time and size are as when it was last hashed is not read again.
            if seen is not None and seen[:2] == stamp and known.get(relative) == seen[2]:
                continue
            document = note_document(relative, _read(path))
            documents[relative] = document
            if status.st_mtime_ns < settled_before:
                stamps[relative] = (*stamp, document.hash)
        added = [doc for doc_id, doc in documents.items() if doc_id not in known]
        changed = [
            doc
            for doc_id, doc in documents.items()
            if doc_id in known and known[doc_id] != doc.hash
        ]
        removed = [doc_id for doc_id in known if doc_id not in present]
        if added and self._collection.count():
            self._delete_vectors(doc.doc_id for doc in added)
        todo = [*added, *changed]
        # A new family, a new embedder or an interrupted first build: most notes have no
        # vectors yet, so until they do, searches use BM25 over every note.
        if len(todo) >= FIRST_BUILD_PREVIEW_NOTES and len(added) > len(known) - len(removed):
            self._start_first_build(changed, removed, todo, len(present))
        try:
            new_nodes = self._embed(todo, progress)
            for doc_id in removed:
                # The pipeline's own delete strategy raises for notes stored without their
                # text, so removed notes are dropped the way it would drop them.
                self._docstore.delete_document(doc_id, raise_error=False)
                self._pipeline.vector_store.delete(doc_id)  # type: ignore[union-attr]
            if removed:
                self._persist_docstore()
            if todo or removed:
                self._apply([*(doc.doc_id for doc in changed), *removed], new_nodes)
        finally:
            first_build, self._first_build = self._first_build, None
        if first_build is not None:
            logger.info(
                "the vault's first index is built: %d notes in %.0f s",
                first_build.total,
                time.monotonic() - first_build.started,
            )
        self._stamps = {
            path: stamp
            for path, stamp in self._stamps.items()
            if path in present and path not in documents
        }
        self._stamps.update(stamps)
        return SyncReport(
            added=len(added),
            changed=len(changed),
            removed=len(removed),
            unchanged=len(present) - len(added) - len(changed),
            seconds=time.perf_counter() - started,
            passages_embedded=self._embedding.take_embedded(),
            rebuilt=rebuilt,
            problems=self._splitter.take_problems(),
        )

    def _embed(self, todo: Sequence[Document], progress: Progress | None) -> list[BaseNode]:
        """Runs the notes through the pipeline in batches, saving the docstore after each."""
        new_nodes: list[BaseNode] = []
        if todo and progress is not None:
            progress(0, len(todo))
        for start in range(0, len(todo), NOTES_PER_BATCH):
            if self._stopping.is_set():
                logger.info(
                    "vault indexing stopped at %d of %d notes; the rest follow at the next start",
                    start,
                    len(todo),
                )
                break
            batch = todo[start : start + NOTES_PER_BATCH]
            self._embedding.reuse(self._vectors_of(batch))
            new_nodes.extend(self._pipeline.run(documents=batch, store_doc_text=False))
            self._persist_docstore()
            done = min(start + NOTES_PER_BATCH, len(todo))
            if self._first_build is not None:
                self._first_build.done = done
            if progress is not None:
                progress(done, len(todo))
        return new_nodes

    def _start_first_build(
        self,
        changed: Sequence[Document],
        removed: Sequence[str],
        todo: Sequence[Document],
        notes: int,
    ) -> None:
        """Publishes a BM25 snapshot of every note before the slow part, embedding, starts."""
        passages, keywords = self._snapshot(
            [*(doc.doc_id for doc in changed), *removed], self._splitter(list(todo))
        )
        self._first_build = _FirstBuild(
            passages=passages, keywords=keywords, done_before=notes - len(todo), total=notes
        )
        logger.info(
            "reading the vault for its first index: %d notes; until it is done, answers come "
            "from a keyword search",
            len(todo),
        )

    def _apply(self, gone_paths: Sequence[str], nodes: Sequence[BaseNode]) -> None:
        """Swaps in new passage, BM25 and note card snapshots, so running searches see old or
        new, whole."""
        passages, keywords = self._snapshot(gone_paths, nodes)
        cards = self._cards.changed(gone_paths, (passages[node.node_id] for node in nodes))
        self._passages, self._keywords, self._cards = passages, keywords, cards

    def _snapshot(
        self, gone_paths: Sequence[str], nodes: Sequence[BaseNode]
    ) -> tuple[dict[str, Passage], KeywordIndex]:
        """The passages and BM25 index without the gone notes' passages, with the new ones."""
        gone = set(gone_paths)
        passages = {cid: p for cid, p in self._passages.items() if p.path not in gone}
        fresh = [(node.node_id, node.metadata, node.get_content()) for node in nodes]
        passages.update((cid, _passage(cid, meta, text)) for cid, meta, text in fresh)
        keywords = self._keywords.changed(
            gone, ((cid, passage_keyword_text(meta, text)) for cid, meta, text in fresh)
        )
        return passages, keywords

    def _vectors_of(self, documents: Sequence[Document]) -> dict[str, list[float]]:
        """Stored vectors of the notes' current passages by fingerprint, to skip re-embedding."""
        stored = self._collection.get(
            where=_of_notes([doc.doc_id for doc in documents]),
            include=["embeddings", "metadatas"],
        )
        embeddings = stored.get("embeddings")
        metadatas = stored.get("metadatas") or []
        if embeddings is None:
            return {}
        return {
            str(meta.get("fingerprint")): [float(x) for x in vector]
            for meta, vector in zip(metadatas, embeddings, strict=True)
        }

    def _delete_vectors(self, doc_ids: Iterable[str]) -> None:
        ids = list(doc_ids)
        for start in range(0, len(ids), 500):
            self._collection.delete(where=_of_notes(ids[start : start + 500]))

    def _load_passages(self) -> None:
        passages: dict[str, Passage] = {}
        keyword_texts: list[tuple[str, str]] = []
        total = self._collection.count()
        for offset in range(0, total, 5000):
            page = self._collection.get(
                include=["metadatas", "documents"], limit=5000, offset=offset
            )
            documents = page.get("documents") or []
            metadatas = page.get("metadatas") or []
            for cid, meta, text in zip(page["ids"], metadatas, documents, strict=True):
                passages[cid] = _passage(cid, meta, text)
                keyword_texts.append((cid, passage_keyword_text(meta, text)))
        self._passages = passages
        self._keywords = KeywordIndex().changed((), keyword_texts)
        self._cards = NoteCards.of(passages.values())

    def _is_note_change(self, change: Change, path: str) -> bool:
        try:
            relative = Path(path).relative_to(self.vault_path)
        except ValueError:
            return True
        if any(part.startswith(".") for part in relative.parts):
            return False
        if relative.suffix not in ("", ".md"):
            return False
        if inside_vault(self.vault_path, Path(path)) is None:
            logger.info("ignoring a change to %s: it is a link leading out of the vault", path)
            return False
        return True

    def _expected_manifest(self) -> dict[str, Any]:
        return {
            "format": INDEX_FORMAT,
            "embedder": self.embedder.name,
            "dimension": self.embedder.dimension,
            "max_chars": self._max_chars,
        }

    def _manifest(self) -> dict[str, Any] | None:
        try:
            loaded = json.loads((self._folder / "manifest.json").read_text("utf-8"))
        except (OSError, ValueError):
            return None
        return loaded if isinstance(loaded, dict) else None

    def _write_manifest(self) -> None:
        _write_atomically(self._folder / "manifest.json", json.dumps(self._expected_manifest()))

    def _wipe(self) -> None:
        """Drops the collection and docstore (the vault itself is never touched)."""
        (self._folder / "manifest.json").unlink(missing_ok=True)
        if COLLECTION in [collection.name for collection in self._client.list_collections()]:
            self._client.delete_collection(COLLECTION)
        (self._folder / "docstore.json").unlink(missing_ok=True)

    def _load_docstore(self) -> SimpleDocumentStore:
        path = self._folder / "docstore.json"
        if path.exists():
            try:
                return SimpleDocumentStore.from_persist_path(str(path))
            except ValueError:
                logger.warning("the index's docstore is unreadable; re-indexing every note")
        return SimpleDocumentStore()

    def _persist_docstore(self) -> None:
        temporary = self._folder / "docstore.json.tmp"
        self._docstore.persist(str(temporary))
        os.replace(temporary, self._folder / "docstore.json")


def _of_notes(paths: Sequence[str]) -> Where:
    """A Chroma filter for the passages of these notes."""
    members: list[str | int | float | bool] = list(paths)
    condition: dict[Literal["$in", "$nin"], list[str | int | float | bool]] = {"$in": members}
    return {"document_id": condition}


def _passage(chunk_id: str, metadata: Any, text: str) -> Passage:
    return Passage(
        chunk_id=chunk_id,
        path=str(metadata["path"]),
        title=str(metadata.get("title") or ""),
        heading=str(metadata.get("heading") or ""),
        text=text,
        aliases=tuple(filter(None, str(metadata.get("aliases") or "").split("\n"))),
    )


def _best_per_note(
    fused: Sequence[tuple[str, float]], passages: dict[str, Passage]
) -> list[tuple[str, str, float]]:
    """(path, chunk id, score) of each note's best passage, best first."""
    best: dict[str, tuple[str, str, float]] = {}
    for chunk_id, score in fused:
        best.setdefault(passages[chunk_id].path, (passages[chunk_id].path, chunk_id, score))
    return list(best.values())


def _read(path: Path) -> str:
    """A note the walk resolved inside the vault; a symlink swapped in since then reads empty."""
    try:
        data = read_note_bytes(path)
    except OSError:
        logger.warning("not indexing %s: it changed into a link while being read", path)
        return ""
    return (data or b"").decode("utf-8", errors="replace")


def _write_atomically(path: Path, text: str) -> None:
    temporary = path.with_name(path.name + ".tmp")
    temporary.write_text(text, "utf-8")
    os.replace(temporary, path)
