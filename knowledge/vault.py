"""Safe file access inside the family's Obsidian vault: no path escapes, atomic writes, trash.

Why writes are compare-and-swap plus salvage, not a lock: nothing that edits a vault honours
an advisory lock (Obsidian, Syncthing and `echo >> note.md` all ignore `flock`), so a write
prepares the new note in a temporary file and, right before renaming it over the note, reads
the note once more. If someone rewrote it since it was read, the write is refused
(`NoteChangedError`, the caller re-reads and re-applies its edit); if they only appended to
it, their lines are added after ours. An appender that opened the note before the rename may
still write into the replaced file afterwards, so that file is kept open and whatever lands in
it is carried over into the note: once straight after the rename, again on the next write of
the same note, and by `settle()`.

What remains: an edit that *rewrites* the note in the microseconds between that last read and
the rename is lost (POSIX has no compare-and-rename), and so is anything written into a
replaced file after it was last collected, i.e. by a program that keeps the note open for
longer than the time between two of our writes (a logger holding its file handle forever).
"""

from __future__ import annotations

import asyncio
import errno
import hashlib
import logging
import os
import re
import secrets
import threading
import time
import unicodedata
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath

log = logging.getLogger(__name__)

# Names Windows cannot hold, whatever the extension ("CON.md" too); a synced vault must.
RESERVED_NAMES = frozenset(
    ["CON", "PRN", "AUX", "NUL"]
    + [f"{port}{number}" for port in ("COM", "LPT") for number in range(1, 10)]
)
FORBIDDEN_IN_NAMES = frozenset('<>:"|?*')
BIDI_CONTROLS = frozenset(
    "\u061c\u200e\u200f\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069"
)
# Control characters never written into a note: everything in Cc but newline and tab.
CONTROL_CHARACTERS = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")
# Replaced files kept open for late appenders; beyond this the oldest are collected early.
MAX_REPLACED_KEPT = 128
KEEP_REPLACED_S = 10.0
"""How long a replaced note file stays open for writes that were already under way."""


class VaultError(Exception):
    """A vault request that cannot be done; the message is fit for the family."""


class NoteChangedError(VaultError):
    """The note changed on disk since it was read (Obsidian Sync, Syncthing, a person)."""


@dataclass(frozen=True)
class NoteText:
    """A note's text and the version it was read at (size and content hash; empty if missing)."""

    path: str
    text: str
    version: str

    @property
    def exists(self) -> bool:
        return bool(self.version)


def _version(data: bytes) -> str:
    return f"{len(data)}:{hashlib.sha256(data).hexdigest()}"


def inside_vault(root: Path, path: Path) -> Path | None:
    """`path` with every symlink resolved, or None if that leaves the vault or enters a hidden
    folder of it (.obsidian holds plugin secrets, .trash what the family threw away).

    The one boundary rule for everything that reads the vault: notes, lists and the index.
    """
    real_root = root.resolve()
    target = path.resolve()
    if not target.is_relative_to(real_root):
        return None
    if any(part.startswith(".") for part in target.relative_to(real_root).parts):
        return None
    return target


def unfit_name_reason(part: str) -> str | None:
    """Why no OS (or sync to one) could hold this file or folder name; None when it is fine."""
    if any(unicodedata.category(char) == "Cc" for char in part):
        return "has a line break or control character"
    if any(char in BIDI_CONTROLS for char in part):
        return "has a hidden text-direction character"
    if any(char in FORBIDDEN_IN_NAMES for char in part):
        return 'uses one of < > : " | ? *'
    if part != part.rstrip(" ."):
        return "ends with a dot or a space"
    if part.split(".", 1)[0].rstrip(" ").upper() in RESERVED_NAMES:
        return "is a name Windows reserves"
    return None


def without_control_characters(text: str) -> str:
    """Text fit for a note: Windows line ends become \\n, NUL and other controls go."""
    return CONTROL_CHARACTERS.sub("", text.replace("\r\n", "\n"))


def read_note_bytes(path: Path) -> bytes | None:
    """A resolved note's bytes, refusing a symlink swapped in since it was resolved."""
    try:
        handle = os.open(path, os.O_RDONLY | os.O_NOFOLLOW)
    except FileNotFoundError:
        return None
    try:
        return _read_from(handle, 0)
    finally:
        os.close(handle)


class Vault:
    """The vault folder; every path is relative to it and checked before use."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self._locks: defaultdict[str, asyncio.Lock] = defaultdict(asyncio.Lock)
        self._replaced = _ReplacedNotes()

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
        for part in pure.parts:
            reason = unfit_name_reason(part)
            if reason is not None:
                raise VaultError(f"“{relative}” can't be a name in the vault: it {reason}")
        target = inside_vault(self.root, self.root / pure)
        if target is None:
            raise VaultError(f"{relative!r} leads outside the vault")
        return target

    def lock(self, relative: str) -> asyncio.Lock:
        """One writer at a time per note inside this process."""
        return self._locks[str(PurePosixPath(relative))]

    async def read(self, relative: str) -> NoteText:
        path = self.resolve(relative)
        try:
            data = await asyncio.to_thread(read_note_bytes, path)
        except OSError as error:
            if error.errno != errno.ELOOP:
                raise
            raise VaultError(f"{relative!r} leads outside the vault") from None
        if data is None:
            return NoteText(path=relative, text="", version="")
        return NoteText(path=relative, text=data.decode("utf-8"), version=_version(data))

    async def write(self, relative: str, text: str, *, expected_version: str | None) -> NoteText:
        """Writes atomically, keeping the note's permissions and lines others appended meanwhile.

        Refuses if the note was otherwise changed since `expected_version` was read;
        `expected_version=""` means "the note must not exist yet"; None skips the check.
        Control characters other than newline and tab are never written.
        """
        path = self.resolve(relative)
        data = without_control_characters(text).encode("utf-8")
        written = await asyncio.to_thread(
            _write_safely, path, data, expected_version, self._replaced
        )
        return NoteText(path=relative, text=written.decode("utf-8"), version=_version(written))

    async def settle(self) -> None:
        """Carries late appends to replaced notes over into the notes, then lets the files go."""
        await asyncio.to_thread(self._replaced.collect_all)

    async def trash(self, relative: str) -> str:
        """Moves a note to .trash/ as Obsidian does; returns where it went."""
        path = self.resolve(relative)
        if not path.is_file():
            raise VaultError(f"there is no note at {relative}")
        trash = self.root.resolve() / ".trash"
        return await asyncio.to_thread(_move_to_trash, path, trash)


@dataclass
class _Replaced:
    """A note's file after a write renamed another over it, open to catch late appends."""

    handle: int
    read_up_to: int
    since: float = field(default_factory=time.monotonic)


class _ReplacedNotes:
    """Replaced note files by note path; one lock also serialises every swap in this vault."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self._files: dict[Path, list[_Replaced]] = {}

    def take_late(self, path: Path) -> bytes:
        """What was appended to this note's replaced files since they were last read.

        A file stays open for KEEP_REPLACED_S after it was replaced, not just until the next
        write: a program that opened the note just before a rename may write seconds later on
        a busy machine, and those lines must still reach the note.
        """
        late = b""
        young = []
        for replaced in self._files.pop(path, []):
            fresh = _read_from(replaced.handle, replaced.read_up_to)
            late += fresh
            replaced.read_up_to += len(fresh)
            if time.monotonic() - replaced.since < KEEP_REPLACED_S:
                young.append(replaced)
            else:
                os.close(replaced.handle)
        if young:
            self._files[path] = young
        return late

    def keep(self, path: Path, replaced: _Replaced) -> None:
        """Keeps `replaced` open; past MAX_REPLACED_KEPT the oldest file (never this one) goes.

        Only the oldest goes: the file just replaced is the one an appender is most likely
        still writing into, so closing it would lose that line.
        """
        self._files.setdefault(path, []).append(replaced)
        while sum(len(files) for files in self._files.values()) > MAX_REPLACED_KEPT:
            self._let_go_of_oldest()

    def collect_all(self) -> None:
        with self.lock:
            while self._files:
                self._let_go_of_oldest()

    def _let_go_of_oldest(self) -> None:
        path = min(self._files, key=lambda each: self._files[each][0].since)
        files = self._files[path]
        oldest = files.pop(0)
        if not files:
            del self._files[path]
        try:
            late = _read_from(oldest.handle, oldest.read_up_to)
        finally:
            os.close(oldest.handle)
        if late:
            handle = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT | os.O_NOFOLLOW, 0o666)
            try:
                _write_all(handle, late)
            finally:
                os.close(handle)


def _read_from(handle: int, offset: int) -> bytes:
    chunks = []
    while chunk := os.pread(handle, 1 << 16, offset):
        chunks.append(chunk)
        offset += len(chunk)
    return b"".join(chunks)


def _write_all(handle: int, data: bytes) -> None:
    view = memoryview(data)
    while view:
        view = view[os.write(handle, view) :]


def _write_safely(
    path: Path, data: bytes, expected_version: str | None, replaced: _ReplacedNotes
) -> bytes:
    """Fsyncs the new note in a temporary file, then swaps it in; returns what the note holds."""
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_name(f".{path.name}.{secrets.token_hex(6)}.tmp")
    # 0o666 lets the umask decide a new note's mode, as for any file the family creates.
    flags = os.O_RDWR | os.O_CREAT | os.O_EXCL | os.O_APPEND | os.O_NOFOLLOW
    handle = os.open(temporary, flags, 0o666)
    try:
        _write_all(handle, data)
        os.fsync(handle)
        with replaced.lock:
            written = _swap_in(path, temporary, handle, data, expected_version, replaced)
        os.fsync(handle)
        return written
    except BaseException:
        temporary.unlink(missing_ok=True)
        raise
    finally:
        os.close(handle)


def _swap_in(
    path: Path,
    temporary: Path,
    handle: int,
    data: bytes,
    expected_version: str | None,
    replaced: _ReplacedNotes,
) -> bytes:
    try:
        old = os.open(path, os.O_RDONLY | os.O_NOFOLLOW)
    except FileNotFoundError:
        old = None
    try:
        current = None if old is None else _read_from(old, 0)
        appended = _appended_since(path, current, expected_version)
        late = replaced.take_late(path)
        read_before = (current or b"")[: len(current or b"") - len(appended)]
        if appended and data.startswith(read_before):
            # Our edit was an append too: theirs came first, so ours goes after it.
            os.ftruncate(handle, 0)
            _write_all(handle, (current or b"") + data[len(read_before) :] + late)
        elif appended or late:
            _write_all(handle, (b"" if data.endswith(b"\n") else b"\n") + appended + late)
        if old is not None:
            _keep_mode_and_owner(handle, os.fstat(old))
        if expected_version == "":
            _link_as_new(temporary, path)
        else:
            os.replace(temporary, path)
    except BaseException:
        if old is not None:
            os.close(old)
        raise
    if old is None or current is None:
        return _read_from(handle, 0)
    late = _read_from(old, len(current))
    if late:
        _write_all(handle, late)
    replaced.keep(path, _Replaced(old, len(current) + len(late)))
    return _read_from(handle, 0)


def _appended_since(path: Path, current: bytes | None, expected_version: str | None) -> bytes:
    """What others appended to the note since `expected_version`; refuses any other change."""
    if expected_version is None or (current is None and expected_version == ""):
        return b""
    if current is None or expected_version == "":
        raise _changed(path)
    if _version(current) == expected_version:
        return b""
    size = int(expected_version.split(":", 1)[0])
    before = current[:size]
    if len(current) > size and before.endswith(b"\n") and _version(before) == expected_version:
        log.info(
            "kept %d bytes appended to %s while it was being edited", len(current) - size, path
        )
        return current[size:]
    raise _changed(path)


def _link_as_new(temporary: Path, path: Path) -> None:
    """Puts the note in place only if none appeared meanwhile, which a rename cannot do."""
    try:
        os.link(temporary, path)
    except FileExistsError:
        raise _changed(path) from None
    temporary.unlink()


def _keep_mode_and_owner(handle: int, status: os.stat_result) -> None:
    os.fchmod(handle, status.st_mode & 0o7777)
    try:
        os.fchown(handle, status.st_uid, status.st_gid)
    except PermissionError:
        log.debug("could not keep the owner of a note (%d:%d)", status.st_uid, status.st_gid)


def _changed(path: Path) -> NoteChangedError:
    return NoteChangedError(
        f"{path.name} changed on disk since I read it, so I left it alone. Please try again."
    )


def _move_to_trash(path: Path, trash: Path) -> str:
    trash.mkdir(exist_ok=True)
    target = trash / path.name
    counter = 1
    while target.exists():
        target = trash / f"{path.stem} {counter}{path.suffix}"
        counter += 1
    os.replace(path, target)
    return f".trash/{target.name}"
