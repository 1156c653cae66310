"""Hides configured secret values in text that leaves the process: log lines, stored errors."""

from __future__ import annotations

from collections.abc import Iterable

SHORTEST_SECRET = 6
"""Shorter values would blank out ordinary words; no real token or password is this short."""


class Redactor:
    """Replaces every configured secret value with ***."""

    def __init__(self, secrets: Iterable[str] = ()) -> None:
        self._secrets: list[str] = []
        self.add(secrets)

    def add(self, secrets: Iterable[str]) -> None:
        """Hides these values too from now on (a skill's secrets, read when it starts)."""
        found = {secret for secret in secrets if len(secret) >= SHORTEST_SECRET}
        # Longest first, so a secret that contains another is hidden whole.
        self._secrets = sorted(found | set(self._secrets), key=len, reverse=True)

    def __bool__(self) -> bool:
        return bool(self._secrets)

    def __call__(self, text: str) -> str:
        for secret in self._secrets:
            text = text.replace(secret, "***")
        return text
