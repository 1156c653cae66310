"""The channel contract every chat platform implements."""

from __future__ import annotations

from typing import TYPE_CHECKING, Protocol

from bot.messages import Reply

if TYPE_CHECKING:
    from bot.router import Router


class Channel(Protocol):
    """Receives events into the router until stopped, and delivers replies from the outbox.

    Optional, found by `serve`: `open_stream(incoming)` for replies that grow as the model
    writes, and `fetch_media(attachment)` (a bot.media.MediaFetcher) for the files members send.
    """

    name: str

    async def run(self, router: Router) -> None:
        """Receives until cancelled; each event goes through `router.receive` before its ack."""
        ...

    async def send(self, chat_id: str, reply: Reply, key: str) -> None:
        """Delivers one reply; raises RetryLater or DeliveryFailed from bot.outbox."""
        ...
