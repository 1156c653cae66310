"""The worker pool: CPU-heavy work (transcription, OCR, charts) off the event loop, bounded.

Each kind of work has its own limit, so three voice notes waiting for Whisper never take the
threads a vault write or a receipt needs; the event loop itself never runs the work.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
from collections.abc import Callable, Mapping
from concurrent.futures import ThreadPoolExecutor
from typing import ParamSpec, TypeVar

P = ParamSpec("P")
T = TypeVar("T")

DEFAULT_LIMIT = 1


class WorkerPool:
    """`await workers.run("ocr", read_receipt, path)` runs in a thread, at most N per kind."""

    def __init__(self, limits: Mapping[str, int] | None = None, default_limit: int = 1) -> None:
        self._limits = dict(limits or {})
        self._default = max(1, default_limit)
        self._gates: dict[str, asyncio.Semaphore] = {}
        self._executor: ThreadPoolExecutor | None = None

    def limit(self, kind: str) -> int:
        return max(1, self._limits.get(kind, self._default))

    async def run(self, kind: str, work: Callable[P, T], *args: P.args, **kwargs: P.kwargs) -> T:
        """Runs `work(*args, **kwargs)` in a worker thread once a slot of `kind` is free."""
        gate = self._gates.get(kind)
        if gate is None:
            gate = self._gates[kind] = asyncio.Semaphore(self.limit(kind))
        async with gate:
            loop = asyncio.get_running_loop()
            return await loop.run_in_executor(
                self._pool(), functools.partial(work, *args, **kwargs)
            )

    def busy(self) -> dict[str, int]:
        """How many slots of each kind are taken right now (for /status and metrics)."""
        return {kind: self.limit(kind) - gate._value for kind, gate in self._gates.items()}

    def _pool(self) -> ThreadPoolExecutor:
        if self._executor is None:
            workers = sum(self._limits.values()) + self._default
            self._executor = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="worker")
        return self._executor

    def close(self) -> None:
        """Waits for running work and frees the threads (at shutdown)."""
        if self._executor is not None:
            with contextlib.suppress(RuntimeError):
                self._executor.shutdown(wait=True, cancel_futures=True)
            self._executor = None
