"""Files members send: fetched from their channel only when a handler needs them, kept a while.

Channels put references into the inbox (an id or URL, the kind, the size they were told); a
handler that needs the bytes calls `app.media.fetch(incoming, attachment)`. The channel's
fetcher streams the bytes; this module enforces the one size cap (`[media] max_bytes`: before
downloading when the size is known, while streaming otherwise), stores the file under
`data_dir/media/<channel>/<chat>/`, and `forget_old` (the system skill's hourly job) deletes
copies older than `[media] keep_hours`.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import logging
import mimetypes
import os
import re
from collections.abc import AsyncGenerator, Callable
from datetime import datetime, timedelta
from pathlib import Path
from typing import BinaryIO

from bot.clock import Clock
from bot.messages import Attachment, AttachmentKind, Incoming

log = logging.getLogger(__name__)

MediaFetcher = Callable[[Attachment], AsyncGenerator[bytes, None]]
"""A channel's downloader: the attachment's bytes in pieces (decrypted where needed).

It raises MediaProblem with a sentence for the member when it knows what went wrong; any other
error becomes "I couldn't download …". Telegram's, Matrix's and the console's live in
bot/channels/; `serve` registers each running channel's `fetch_media`.
"""

KIND_WORDS: dict[AttachmentKind, str] = {
    "voice": "voice note",
    "audio": "audio file",
    "photo": "photo",
    "document": "file",
}
PART_SUFFIX = ".part"
UNSAFE_NAME = re.compile(r"[^A-Za-z0-9_.-]+")
MEGABYTE = 1024 * 1024


class MediaProblem(Exception):
    """A file Gepeto cannot use; `str(problem)` is the sentence for the member."""


class MediaTooLarge(MediaProblem):
    """The file is over `[media] max_bytes` (or over what the chat service hands to bots)."""


class MediaUnavailable(MediaProblem):
    """The file could not be downloaded (gone, refused, corrupted, no fetcher)."""


def size_in_words(size: int) -> str:
    """48 MB, 1.5 MB, 900 KB: sizes as a phone shows them."""
    if size < MEGABYTE:
        return f"{max(1, round(size / 1024))} KB"
    return f"{size / MEGABYTE:.1f}".removesuffix(".0") + " MB"


def too_large(kind: AttachmentKind, max_bytes: int, size: int | None = None) -> MediaTooLarge:
    """The kind refusal: "That voice note is 48 MB; I can take up to 20 MB." """
    what = KIND_WORDS[kind]
    if size is None:
        return MediaTooLarge(
            f"That {what} is bigger than {size_in_words(max_bytes)}, the most I can take."
        )
    return MediaTooLarge(
        f"That {what} is {size_in_words(size)}; I can take up to {size_in_words(max_bytes)}."
    )


def unavailable(kind: AttachmentKind) -> MediaUnavailable:
    return MediaUnavailable(f"I couldn't download that {KIND_WORDS[kind]} — please send it again.")


def file_name(attachment: Attachment) -> str:
    """A stable, safe name: fetching the same file twice finds the copy already there."""
    stem = attachment.unique_id or hashlib.sha256(attachment.file_id.encode()).hexdigest()[:32]
    suffix = Path(attachment.name).suffix if attachment.name else ""
    if not suffix and attachment.mime_type:
        suffix = mimetypes.guess_extension(attachment.mime_type.split(";")[0].strip()) or ""
    return UNSAFE_NAME.sub("_", stem + (suffix or ".bin"))


class Media:
    """The fetchers of the running channels, the size cap, and the downloaded copies."""

    def __init__(self, directory: Path, clock: Clock, max_bytes: int, keep: timedelta) -> None:
        self.directory = directory
        self.max_bytes = max_bytes
        self.keep = keep
        self._clock = clock
        self._fetchers: dict[str, MediaFetcher] = {}

    def register(self, channel: str, fetcher: MediaFetcher) -> None:
        """Files that came through `channel` are downloaded with `fetcher` from now on."""
        self._fetchers[channel] = fetcher

    def folder(self, incoming: Incoming) -> Path:
        """Where the files of this chat are kept."""
        return self.directory / _safe(incoming.channel) / _safe(incoming.chat_id)

    async def fetch(self, incoming: Incoming, attachment: Attachment) -> Path:
        """Downloads the attachment (once) and returns its path; raises MediaProblem.

        A file whose size is known is refused before any byte is downloaded; one whose size
        is not is cut off as soon as it passes the cap. Nothing half-written is ever returned.
        """
        if attachment.size is not None and attachment.size > self.max_bytes:
            raise too_large(attachment.kind, self.max_bytes, attachment.size)
        target = self.folder(incoming) / file_name(attachment)
        if await asyncio.to_thread(self._reuse, target):
            return target
        fetcher = self._fetchers.get(incoming.channel)
        if fetcher is None:
            log.warning("no fetcher for %s files (the channel is not running)", incoming.channel)
            raise unavailable(attachment.kind)
        part = target.with_name(target.name + PART_SUFFIX)
        try:
            await asyncio.to_thread(part.parent.mkdir, parents=True, exist_ok=True)
            with await asyncio.to_thread(part.open, "wb") as out:
                await self._download(fetcher, attachment, out)
            await asyncio.to_thread(self._finish, part, target)
        except MediaProblem:
            await asyncio.to_thread(part.unlink, missing_ok=True)
            raise
        except Exception:
            log.warning(
                "could not download a %s from %s (%s)",
                attachment.kind,
                incoming.channel,
                attachment.file_id,
                exc_info=True,
            )
            await asyncio.to_thread(part.unlink, missing_ok=True)
            raise unavailable(attachment.kind) from None
        return target

    async def _download(
        self, fetcher: MediaFetcher, attachment: Attachment, out: BinaryIO
    ) -> None:
        received = 0
        async with contextlib.aclosing(fetcher(attachment)) as pieces:
            async for piece in pieces:
                received += len(piece)
                if received > self.max_bytes:
                    raise too_large(attachment.kind, self.max_bytes)
                await asyncio.to_thread(out.write, piece)

    def _stamp(self, path: Path) -> None:
        """A copy's age counts from its last use, on the injected clock."""
        moment = self._clock.now().timestamp()
        os.utime(path, (moment, moment))

    def _reuse(self, target: Path) -> bool:
        if not target.is_file():
            return False
        self._stamp(target)
        return True

    def _finish(self, part: Path, target: Path) -> None:
        part.replace(target)
        self._stamp(target)

    async def forget_old(self, now: datetime) -> int:
        """Deletes downloaded copies unused for `keep`; returns how many went."""
        return await asyncio.to_thread(self._forget_before, (now - self.keep).timestamp())

    def _forget_before(self, cutoff: float) -> int:
        if not self.directory.is_dir():
            return 0
        deleted = 0
        for path in sorted(self.directory.rglob("*"), reverse=True):
            try:
                if path.is_file() and path.stat().st_mtime < cutoff:
                    path.unlink()
                    deleted += 1
                elif path.is_dir() and not any(path.iterdir()):
                    path.rmdir()
            except OSError as error:
                log.warning("could not delete old media %s: %s", path, error)
        return deleted


def _safe(part: str) -> str:
    return UNSAFE_NAME.sub("_", part).strip(".") or "_"
