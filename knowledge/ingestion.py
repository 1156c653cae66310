"""The vault as LlamaIndex sees it: one Document per note, split into passages, then embedded."""

from __future__ import annotations

import logging
import os
from collections.abc import Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any

from llama_index.core.node_parser import NodeParser
from llama_index.core.schema import (
    BaseNode,
    Document,
    NodeRelationship,
    TextNode,
    TransformComponent,
)
from pydantic import ConfigDict, PrivateAttr

from knowledge.chunking import DEFAULT_MAX_CHARS, Chunk, chunk_note
from knowledge.embedders import Embedder
from knowledge.markdown import parse_note
from knowledge.vault import inside_vault

log = logging.getLogger(__name__)

HEADING_SEPARATOR = " › "


def vault_notes(root: Path) -> Iterator[tuple[str, Path]]:
    """(vault-relative path, resolved file) for every note; hidden folders (.obsidian, .trash)
    and symlinks leading out of the vault or into a hidden folder are skipped."""
    for folder, subfolders, files in os.walk(root):
        subfolders[:] = sorted(name for name in subfolders if not name.startswith("."))
        for name in sorted(files):
            if name.endswith(".md") and not name.startswith("."):
                path = Path(folder) / name
                relative = path.relative_to(root).as_posix()
                target = inside_vault(root, path)
                if target is None:
                    log.warning("not indexing %s: it is a link leading out of the vault", relative)
                    continue
                yield relative, target


def note_document(relative: str, text: str) -> Document:
    """A note as a LlamaIndex Document: id is its vault path, hash covers text and path."""
    return Document(
        id_=relative,
        text=text,
        metadata={"path": relative},
        excluded_embed_metadata_keys=["path"],
        excluded_llm_metadata_keys=["path"],
    )


def chunk_metadata(chunk: Chunk) -> dict[str, Any]:
    """The flat metadata stored with a passage in Chroma (strings and numbers only)."""
    return {
        "path": chunk.path,
        "title": chunk.title,
        "heading": chunk.heading,
        "headings": HEADING_SEPARATOR.join(chunk.heading_path),
        "aliases": "\n".join(chunk.aliases),
        "tags": " ".join(chunk.tags),
        "position": chunk.position,
        "fingerprint": chunk.fingerprint,
    }


def chunk_from_metadata(metadata: Mapping[str, Any], text: str) -> Chunk:
    """Rebuilds a passage from what Chroma stored for it."""
    headings = str(metadata.get("headings") or "")
    aliases = str(metadata.get("aliases") or "")
    tags = str(metadata.get("tags") or "")
    return Chunk(
        path=str(metadata["path"]),
        title=str(metadata.get("title") or ""),
        heading_path=tuple(headings.split(HEADING_SEPARATOR)) if headings else (),
        text=text,
        position=int(metadata.get("position") or 0),
        aliases=tuple(aliases.split("\n")) if aliases else (),
        tags=tuple(tags.split(" ")) if tags else (),
    )


def chunk_id(chunk: Chunk) -> str:
    """The passage's id in Chroma: note path and position, so a note's passages sort together."""
    return f"{chunk.path}#{chunk.position}"


class NoteSplitter(NodeParser):
    """Parses each note's Markdown and cuts it on headings into passage nodes."""

    max_chars: int = DEFAULT_MAX_CHARS
    _problems: dict[str, tuple[str, ...]] = PrivateAttr(default_factory=dict)

    def take_problems(self) -> dict[str, tuple[str, ...]]:
        """Notes read with problems (e.g. broken frontmatter) since the last call."""
        problems, self._problems = self._problems, {}
        return problems

    def _parse_nodes(
        self, nodes: Sequence[BaseNode], show_progress: bool = False, **kwargs: Any
    ) -> list[BaseNode]:
        passages: list[BaseNode] = []
        for document in nodes:
            note = parse_note(document.node_id, document.get_content())
            if note.problems:
                self._problems[note.path] = note.problems
            for chunk in chunk_note(note, self.max_chars):
                passages.append(
                    TextNode(
                        id_=chunk_id(chunk),
                        text=chunk.text,
                        metadata=chunk_metadata(chunk),
                        excluded_embed_metadata_keys=list(chunk_metadata(chunk)),
                        excluded_llm_metadata_keys=list(chunk_metadata(chunk)),
                        relationships={NodeRelationship.SOURCE: document.as_related_node_info()},
                    )
                )
        return passages


class PassageEmbedding(TransformComponent):
    """Embeds passages in batches, reusing the vectors of passages that did not change."""

    model_config = ConfigDict(arbitrary_types_allowed=True)
    embedder: Embedder
    batch_size: int = 32
    _reusable: dict[str, list[float]] = PrivateAttr(default_factory=dict)
    _embedded: int = PrivateAttr(default=0)

    def reuse(self, vectors: dict[str, list[float]]) -> None:
        """Vectors by passage fingerprint that the next run may reuse instead of embedding."""
        self._reusable = vectors

    def take_embedded(self) -> int:
        """How many passages went through the model since the last call."""
        embedded, self._embedded = self._embedded, 0
        return embedded

    def __call__(self, nodes: Sequence[BaseNode], **kwargs: Any) -> Sequence[BaseNode]:
        missing: list[BaseNode] = []
        for node in nodes:
            vector = self._reusable.get(str(node.metadata.get("fingerprint")))
            if vector is None:
                missing.append(node)
            else:
                node.embedding = vector
        for start in range(0, len(missing), self.batch_size):
            batch = missing[start : start + self.batch_size]
            texts = [passage_embedding_text(node) for node in batch]
            for node, vector in zip(batch, self.embedder.embed_passages(texts), strict=True):
                node.embedding = vector
            self._embedded += len(batch)
        return nodes


def passage_embedding_text(node: BaseNode) -> str:
    """What the embedding model reads for a stored passage node."""
    return chunk_from_metadata(node.metadata, node.get_content()).embedding_text


def passage_keyword_text(metadata: Mapping[str, Any], text: str) -> str:
    """What BM25 reads for a stored passage."""
    return chunk_from_metadata(metadata, text).keyword_text
