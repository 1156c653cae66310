"""One `gepeto run` per data dir: a second one would answer every message twice.

Only `run` takes this lock. The short commands (`say`, `members invite`, `db upgrade`, ...) are
meant to be used beside a running bot, and SQLite's own locking keeps their writes safe.
"""

from __future__ import annotations

import asyncio
import contextlib
import fcntl
import os
from collections.abc import AsyncIterator
from pathlib import Path

from storage.database import storage_fault

PID_FILE = "gepeto.pid"


class AlreadyRunning(Exception):
    """Another `gepeto run` holds this data dir."""


@contextlib.asynccontextmanager
async def running_alone(data_dir: Path) -> AsyncIterator[None]:
    """Holds an exclusive lock on data_dir/gepeto.pid (with our PID in it) until the bot stops.

    The kernel drops the lock when the process dies, however it dies, so a stale file never
    blocks a restart.
    """
    descriptor = await asyncio.to_thread(_lock, data_dir)
    try:
        yield
    finally:
        os.close(descriptor)


def _lock(data_dir: Path) -> int:
    path = data_dir / PID_FILE
    try:
        data_dir.mkdir(parents=True, exist_ok=True)
        descriptor = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
    except OSError as error:
        raise (storage_fault(error, path) or error) from error
    try:
        fcntl.flock(descriptor, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        holder = os.pread(descriptor, 32, 0).decode("ascii", "replace").strip() or "unknown"
        os.close(descriptor)
        raise AlreadyRunning(
            f"Gepeto is already running on {data_dir} (PID {holder}): stop that one first, "
            "or give this one its own storage.data_dir."
        ) from None
    os.ftruncate(descriptor, 0)
    os.pwrite(descriptor, f"{os.getpid()}\n".encode("ascii"), 0)
    return descriptor


def running_on(data_dir: Path) -> str | None:
    """The PID of the `gepeto run` holding data_dir's lock, or None when none holds it."""
    try:
        descriptor = os.open(data_dir / PID_FILE, os.O_RDONLY)
    except OSError:
        return None
    try:
        fcntl.flock(descriptor, fcntl.LOCK_SH | fcntl.LOCK_NB)
    except BlockingIOError:
        return os.pread(descriptor, 32, 0).decode("ascii", "replace").strip() or "unknown"
    finally:
        os.close(descriptor)
    return None
