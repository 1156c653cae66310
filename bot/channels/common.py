"""Platform-neutral helpers for chat channels: splitting long Markdown, pacing streamed edits."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import re
from collections.abc import Awaitable, Callable

from bot.outbox import RetryLater

log = logging.getLogger(__name__)

FENCE = re.compile(r"^ {0,3}(`{3,}|~{3,})(.*)$")


def split_markdown(text: str, limit: int) -> list[str]:
    """Pieces of at most `limit` characters, cut at breaks; a cut code block is reopened."""
    if limit < 40:
        raise ValueError("a piece must hold at least 40 characters")
    pieces: list[str] = []
    rest = text.strip("\n")
    while len(rest) > limit:
        reserve = _fence_reserve(rest[:limit])
        cut, skip = _cut_point(rest, limit - reserve)
        piece = rest[:cut].rstrip()
        rest = rest[cut + skip :]
        opener = _open_fence(piece)
        if opener and len(opener) <= limit // 2:
            marker = FENCE.match(opener)
            assert marker is not None
            piece += "\n" + marker.group(1)
            rest = opener + "\n" + rest
        pieces.append(piece)
    if rest.strip():
        pieces.append(rest)
    return pieces


def _fence_reserve(text: str) -> int:
    """Room to keep free for closing a code fence, should one be open where the piece ends."""
    runs = [len(m.group(1)) for line in text.split("\n") if (m := FENCE.match(line))]
    return max(runs) + 1 if runs else 0


def _cut_point(text: str, budget: int) -> tuple[int, int]:
    """(cut, boundary length): the last paragraph, line or word break in the budget."""
    window = text[:budget]
    floor = budget // 3
    for boundary in ("\n\n", "\n", " "):
        found = window.rfind(boundary, floor)
        if found > 0:
            return found, len(boundary)
    return budget, 0


def _open_fence(text: str) -> str | None:
    """The opening line of a code fence still open at the end of `text`, if any."""
    opener: str | None = None
    marker = ""
    for line in text.split("\n"):
        match = FENCE.match(line)
        if match is None:
            continue
        run = match.group(1)
        if opener is None:
            opener, marker = line.strip(), run
        elif run[0] == marker[0] and len(run) >= len(marker) and not match.group(2).strip():
            opener, marker = None, ""
    return opener


Publish = Callable[[str], Awaitable[None]]
"""Shows the whole text so far (sends a draft, then edits it); may raise RetryLater."""


class PacedDraft:
    """Shows a growing text with at most one edit per interval, always the newest text.

    Updates never wait for the chat; a RetryLater is waited out and slows the pace for the rest
    of the draft; once `close` returns nothing more is published.
    """

    def __init__(self, publish: Publish, interval: float, max_interval: float = 10.0) -> None:
        self._publish = publish
        self.interval = interval
        self._max_interval = max(interval, max_interval)
        self._latest: str | None = None
        self._shown: str | None = None
        self._next_at = 0.0
        self._closed = False
        self._publishing = False
        self._task: asyncio.Task[None] | None = None

    @property
    def shown(self) -> str | None:
        """The text the chat shows now (None before the first publish)."""
        return self._shown

    async def update(self, text: str) -> None:
        if self._closed or not text.strip():
            return
        self._latest = text
        if self._task is None or self._task.done():
            self._task = asyncio.create_task(self._flush(), name="paced-draft")

    async def close(self) -> None:
        """Stops publishing; waits for a publish in flight so its result is known."""
        self._closed = True
        task, self._task = self._task, None
        if task is None:
            return
        if not self._publishing:
            task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task

    async def _flush(self) -> None:
        loop = asyncio.get_running_loop()
        while not self._closed and self._latest is not None and self._latest != self._shown:
            wait = self._next_at - loop.time()
            if wait > 0:
                await asyncio.sleep(wait)
                continue
            text = self._latest
            self._publishing = True
            try:
                await self._publish(text)
            except RetryLater as busy:
                self.interval = min(self.interval * 2, self._max_interval)
                self._next_at = loop.time() + max(busy.seconds, self.interval)
                continue
            except Exception:
                log.warning("could not update a streamed reply; the final text still follows")
                return
            finally:
                self._publishing = False
            self._shown = text
            self._next_at = loop.time() + self.interval
