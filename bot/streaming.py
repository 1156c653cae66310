"""The streaming contract: a reply that grows in the chat as the model writes it."""

from __future__ import annotations

from typing import Protocol

from bot.messages import Incoming


class ReplyStream(Protocol):
    """One growing reply. Channels pace updates to their own limits; `close` ends the draft.

    The complete, formatted final text still arrives through the outbox as a Reply marked
    `streamed=True`, so the channel replaces the draft with it (or sends it fresh after a crash).
    """

    async def update(self, text: str) -> None:
        """The whole visible text so far (not a delta)."""
        ...

    async def close(self) -> None: ...


class StreamOpener(Protocol):
    def __call__(self, incoming: Incoming) -> ReplyStream | None: ...


class NoStream:
    """For channels and callers that only want the final reply."""

    async def update(self, text: str) -> None:
        return None

    async def close(self) -> None:
        return None
