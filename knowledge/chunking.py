"""Cuts a parsed note into heading-sized passages that fit an embedding model's context."""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterator
from dataclasses import dataclass

from knowledge.markdown import ParsedNote

DEFAULT_MAX_CHARS = 600
_PARAGRAPH = re.compile(r"\n\s*\n")
_SENTENCE_END = re.compile(r"(?<=[.!?。])\s+")


@dataclass(frozen=True)
class Chunk:
    """One passage of a note with the note's title, tags and the headings above it."""

    path: str
    title: str
    heading_path: tuple[str, ...]
    text: str
    position: int
    aliases: tuple[str, ...] = ()
    tags: tuple[str, ...] = ()

    @property
    def heading(self) -> str:
        """The nearest heading, empty for the text before the first heading."""
        return self.heading_path[-1] if self.heading_path else ""

    @property
    def context(self) -> str:
        """Where the passage sits: the title and heading path, e.g. "Sync › Plans › Storage"."""
        return " › ".join((self.title, *self.heading_path))

    @property
    def embedding_text(self) -> str:
        """The text given to the embedding model: its place in the vault, then the passage."""
        return f"{self.context}\n{self.text}"

    @property
    def keyword_text(self) -> str:
        """The text BM25 sees: title and aliases weigh double, then headings, tags, passage."""
        names = " ".join((self.title, *self.aliases))
        return "\n".join(
            (names, names, " ".join(self.heading_path), " ".join(self.tags), self.text)
        )

    @property
    def fingerprint(self) -> str:
        """A hash of what the embedding depends on, to reuse vectors of unchanged passages."""
        return hashlib.sha256(self.embedding_text.encode("utf-8")).hexdigest()[:32]


def chunk_note(note: ParsedNote, max_chars: int = DEFAULT_MAX_CHARS) -> list[Chunk]:
    """Splits a note on its headings; long sections are cut on paragraphs, then sentences."""
    chunks: list[Chunk] = []
    sections = [(section.heading_path, section.text) for section in note.sections]
    properties = note.properties_text
    if properties and sections and not sections[0][0]:
        sections[0] = ((), f"{properties}\n\n{sections[0][1]}")
    elif properties:
        sections.insert(0, ((), properties))
    for heading_path, text in sections:
        for piece in _pieces(text, max_chars):
            chunks.append(
                Chunk(
                    path=note.path,
                    title=note.title,
                    heading_path=heading_path,
                    text=piece,
                    position=len(chunks),
                    aliases=note.aliases,
                    tags=note.tags,
                )
            )
    if not chunks:
        chunks.append(
            Chunk(
                path=note.path,
                title=note.title,
                heading_path=(),
                text=note.title,
                position=0,
                aliases=note.aliases,
                tags=note.tags,
            )
        )
    return chunks


def _pieces(text: str, max_chars: int) -> Iterator[str]:
    if len(text) <= max_chars:
        yield text
        return
    buffer = ""
    for unit in _units(text, max_chars):
        if buffer and len(buffer) + 2 + len(unit) > max_chars:
            yield buffer
            buffer = ""
        buffer = f"{buffer}\n\n{unit}" if buffer else unit
    if buffer:
        yield buffer


def _units(text: str, max_chars: int) -> Iterator[str]:
    """Paragraphs, with any paragraph longer than the cap cut into sentences, then words."""
    for paragraph in _PARAGRAPH.split(text):
        paragraph = paragraph.strip()
        if len(paragraph) <= max_chars:
            if paragraph:
                yield paragraph
            continue
        for sentence in _SENTENCE_END.split(paragraph):
            if len(sentence) <= max_chars:
                yield sentence
                continue
            words = sentence.split(" ")
            line = ""
            for word in words:
                if line and len(line) + 1 + len(word) > max_chars:
                    yield line
                    line = ""
                line = f"{line} {word}" if line else word[:max_chars]
            if line:
                yield line
