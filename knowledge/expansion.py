"""A question rewritten as the note that would answer it, by the fast model, for the search.

People ask in their own words and often in another language than their notes ("Wie zähle ich
Besucher meiner veröffentlichten Seite?" about an English note called "Analytics"): words
cannot match, and a small embedding model bridges only part of the gap. When a chat model is
there, it writes a short made-up passage in the vault's language, in the words such a note
would use (a "hypothetical document"), and the search looks for that as well as for the
question. Its facts may be wrong; only its words are used, never shown.

Answers are cached per question, so asking again costs nothing; a model that fails or is
slow leaves the search to the question alone.
"""

from __future__ import annotations

import asyncio
import logging
from collections import OrderedDict
from collections.abc import Awaitable, Callable

log = logging.getLogger(__name__)

Write = Callable[[list[dict[str, str]]], Awaitable[str]]
"""Sends chat messages (role/content) to the fast model and returns its reply text."""

LANGUAGE_NAMES = {
    "en": "English",
    "de": "German",
    "es": "Spanish",
    "pt": "Portuguese",
    "fr": "French",
    "it": "Italian",
    "nl": "Dutch",
}
MAX_CHARS = 800
"""A longer reply is cut: a few sentences carry the words; more only dilutes the question."""
CACHED = 256
WAIT_S = 10.0
"""A model still loading after this long is left behind: the search goes on without it."""

_SYSTEM = """You help search a family's notes. Write the short passage (two or three \
sentences) that a note answering the question would most likely contain, in {language}, \
using the plain words and feature names such a note would use. If you do not know, write \
your best guess anyway. Reply with the passage only: no preamble, no quotes."""


class QuestionExpander:
    """Made-up passages for questions, from the fast model, cached (newest CACHED kept)."""

    def __init__(self, write: Write, wait_s: float = WAIT_S) -> None:
        self._write = write
        self._wait_s = wait_s
        self._cache: OrderedDict[tuple[str, str], str] = OrderedDict()

    async def expand(self, question: str, language: str) -> str:
        """The passage for `question` in `language` ("en", "" when unknown); "" on failure."""
        key = (" ".join(question.casefold().split()), language)
        if key in self._cache:
            self._cache.move_to_end(key)
            return self._cache[key]
        try:
            reply = await asyncio.wait_for(
                self._write(expansion_messages(question, language)), self._wait_s
            )
        except Exception as error:  # any failure: the search goes on with the question alone
            log.warning("could not rewrite a vault question for the search: %s", error)
            return ""
        passage = " ".join(reply.split())[:MAX_CHARS]
        self._cache[key] = passage
        while len(self._cache) > CACHED:
            self._cache.popitem(last=False)
        return passage


def expansion_messages(question: str, language: str) -> list[dict[str, str]]:
    """The chat messages asking for a passage in the vault's language."""
    name = LANGUAGE_NAMES.get(language, "the language of the question")
    return [
        {"role": "system", "content": _SYSTEM.format(language=name)},
        {"role": "user", "content": question},
    ]
