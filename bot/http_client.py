"""The household's one shared HTTP client, opened the first time a skill needs it.

httpx (with the command-line extras it loads) costs more at start-up than a `gepeto say`
on the fast path does in all (issue 11 item 10), and most messages never touch the web.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import httpx

TIMEOUT_S = 30.0
CONNECT_TIMEOUT_S = 5.0


class SharedHttpClient:
    """Hands out one `httpx.AsyncClient` for the life of the app; `aclose` closes it if opened."""

    def __init__(self) -> None:
        self._client: httpx.AsyncClient | None = None
        self._closed = False

    @property
    def opened(self) -> bool:
        return self._client is not None

    @property
    def client(self) -> httpx.AsyncClient:
        """The client, opened now if this is the first call."""
        if self._closed:
            raise RuntimeError("the shared HTTP client is closed: Gepeto is shutting down")
        if self._client is None:
            import httpx

            self._client = httpx.AsyncClient(
                timeout=httpx.Timeout(TIMEOUT_S, connect=CONNECT_TIMEOUT_S)
            )
        return self._client

    async def aclose(self) -> None:
        self._closed = True
        if self._client is not None:
            await self._client.aclose()
            self._client = None
