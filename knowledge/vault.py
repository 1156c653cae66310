"""Safe file access inside the family's Obsidian vault: no path escapes, atomic writes, trash."""

from __future__ import annotations

import asyncio
import hashlib
import os
import tempfile
from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path, PurePosixPath


class VaultError(Exception):
    """A vault request that cannot be done; the message is fit for the family."""


class NoteChangedError(VaultError):
    """The note changed on disk since it was read (Obsidian Sync, Syncthing, a person)."""


@dataclass(frozen=True)
class NoteText:
    """A note's text and the version it was read at (a content hash; empty when missing)."""

    path: str
    text: str
    version: str

    @property
    def exists(self) -> bool:
        return bool(self.version)


def _version(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


class Vault:
    """The vault folder; every path is relative to it and checked before use."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self._locks: defaultdict[str, asyncio.Lock] = defaultdict(asyncio.Lock)

    def resolve(self, relative: str) -> Path:
        """The absolute path for a vault-relative path, refusing anything that leaves the vault."""
        cleaned = relative.strip().replace("\\", "/")
        pure = PurePosixPath(cleaned)
        if "\x00" in cleaned:
            raise VaultError(f"{relative!r} is not a path inside the vault")
        if not cleaned or pure.is_absolute() or ".." in pure.parts or cleaned.startswith("~"):
            raise VaultError(f"{relative!r} is not a path inside the vault")
        if any(part.startswith(".") for part in pure.parts):
            raise VaultError(f"{relative!r} points into a hidden folder of the vault")
        root = self.root.resolve()
        target = (root / pure).resolve()
        if not target.is_relative_to(root):
            raise VaultError(f"{relative!r} leads outside the vault")
        return target

    def lock(self, relative: str) -> asyncio.Lock:
        """One writer at a time per note inside this process."""
        return self._locks[str(PurePosixPath(relative))]

    async def read(self, relative: str) -> NoteText:
        path = self.resolve(relative)
        data = await asyncio.to_thread(_read_bytes, path)
        if data is None:
            return NoteText(path=relative, text="", version="")
        return NoteText(path=relative, text=data.decode("utf-8"), version=_version(data))

    async def write(self, relative: str, text: str, *, expected_version: str | None) -> NoteText:
        """Writes atomically; refuses if the note changed since `expected_version` was read.

        `expected_version=""` means "the note must not exist yet"; None skips the check.
        """
        path = self.resolve(relative)
        data = text.encode("utf-8")
        await asyncio.to_thread(_write_atomically, path, data, expected_version)
        return NoteText(path=relative, text=text, version=_version(data))

    async def trash(self, relative: str) -> str:
        """Moves a note to .trash/ as Obsidian does; returns where it went."""
        path = self.resolve(relative)
        if not path.is_file():
            raise VaultError(f"there is no note at {relative}")
        trash = self.root.resolve() / ".trash"
        return await asyncio.to_thread(_move_to_trash, path, trash)


def _read_bytes(path: Path) -> bytes | None:
    try:
        return path.read_bytes()
    except FileNotFoundError:
        return None


def _write_atomically(path: Path, data: bytes, expected_version: str | None) -> None:
    if expected_version is not None:
        current = _read_bytes(path)
        current_version = "" if current is None else _version(current)
        if current_version != expected_version:
            raise NoteChangedError(
                f"{path.name} changed on disk since I read it, so I left it alone. "
                "Please try again."
            )
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(handle, "wb") as stream:
            stream.write(data)
            stream.flush()
            os.fsync(stream.fileno())
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


def _move_to_trash(path: Path, trash: Path) -> str:
    trash.mkdir(exist_ok=True)
    target = trash / path.name
    counter = 1
    while target.exists():
        target = trash / f"{path.stem} {counter}{path.suffix}"
        counter += 1
    os.replace(path, target)
    return f".trash/{target.name}"
