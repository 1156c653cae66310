"""The worker pool: CPU-heavy work (transcription, OCR, charts) off the event loop, bounded.

Each kind of work has its own limit and its own threads, so three voice notes waiting for
Whisper never take the threads a receipt's OCR needs, and the event loop (vault writes, replies)
never runs the work itself.
"""

from __future__ import annotations

import asyncio
import functools
import time
from collections.abc import Callable, Mapping
from concurrent.futures import ThreadPoolExecutor
from typing import TYPE_CHECKING, ParamSpec, TypeVar

if TYPE_CHECKING:
    from bot.metrics import Metrics

P = ParamSpec("P")
T = TypeVar("T")

DEFAULT_LIMIT = 1


class WorkerPool:
    """`await workers.run("ocr", read_receipt, path)` runs in a thread, at most N per kind."""

    def __init__(
        self,
        limits: Mapping[str, int] | None = None,
        default_limit: int = 1,
        metrics: Metrics | None = None,
    ) -> None:
        self._metrics = metrics
        self._limits = dict(limits or {})
        self._default = max(1, default_limit)
        self._gates: dict[str, asyncio.Semaphore] = {}
        self._running: dict[str, int] = {}
        self._executors: dict[str, ThreadPoolExecutor] = {}

    def limit(self, kind: str) -> int:
        return max(1, self._limits.get(kind, self._default))

    async def run(self, kind: str, work: Callable[P, T], *args: P.args, **kwargs: P.kwargs) -> T:
        """Runs `work(*args, **kwargs)` in a worker thread once a slot of `kind` is free."""
        gate = self._gates.get(kind)
        if gate is None:
            gate = self._gates[kind] = asyncio.Semaphore(self.limit(kind))
        async with gate:
            self._running[kind] = self._running.get(kind, 0) + 1
            started = time.perf_counter()
            try:
                loop = asyncio.get_running_loop()
                return await loop.run_in_executor(
                    self._pool(kind), functools.partial(work, *args, **kwargs)
                )
            finally:
                self._running[kind] -= 1
                if self._metrics is not None:
                    self._metrics.work_done(kind, time.perf_counter() - started)

    def busy(self) -> dict[str, int]:
        """How many slots of each kind are taken right now (for /status and metrics)."""
        return dict(self._running)

    def _pool(self, kind: str) -> ThreadPoolExecutor:
        executor = self._executors.get(kind)
        if executor is None:
            executor = self._executors[kind] = ThreadPoolExecutor(
                max_workers=self.limit(kind), thread_name_prefix=f"worker-{kind}"
            )
        return executor

    def close(self) -> None:
        """Waits for running work and frees the threads (at shutdown)."""
        executors, self._executors = self._executors, {}
        for executor in executors.values():
            executor.shutdown(wait=True, cancel_futures=True)
