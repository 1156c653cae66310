"""Markdown from skills and the model as Telegram text + entities, in pieces Telegram accepts.

telegramify-markdown turns Markdown into plain text plus MessageEntity ranges, so nothing is
ever escaped by hand and no parse_mode can reject a reply. Raw HTML in the Markdown is dropped,
as CommonMark renderers do. A link never hides where it goes: its address follows its label.
"""

from __future__ import annotations

import dataclasses
import logging
from dataclasses import dataclass, field
from urllib.parse import urlsplit

import telegramify_markdown
from aiogram.types import MessageEntity
from telegramify_markdown import MessageEntity as RenderedEntity
from telegramify_markdown import split_entities, utf16_len

log = logging.getLogger(__name__)

TEXT_LIMIT = 4096
"""Telegram's limit for one message, in UTF-16 code units after entities are parsed."""
CAPTION_LIMIT = 1024
LINK_SCHEMES = frozenset({"http", "https", "tg", "mailto"})
"""What a tappable link may open; any other address (javascript:, file:) is shown, not linked."""


@dataclass(frozen=True)
class Formatted:
    """Text as Telegram shows it, with its formatting as entity ranges (UTF-16 offsets)."""

    text: str
    entities: tuple[RenderedEntity, ...] = field(default_factory=tuple)

    @property
    def length(self) -> int:
        return utf16_len(self.text)

    @property
    def is_empty(self) -> bool:
        return not self.text.strip()

    def api_entities(self) -> list[MessageEntity] | None:
        """The entities as aiogram sends them (None when the text is plain)."""
        if not self.entities:
            return None
        return [
            MessageEntity(
                type=entity.type,
                offset=entity.offset,
                length=entity.length,
                url=entity.url,
                language=entity.language,
                custom_emoji_id=entity.custom_emoji_id,
            )
            for entity in self.entities
        ]


def render(markdown: str) -> Formatted:
    """Markdown → Telegram text and entities; plain text if the converter ever fails."""
    try:
        text, entities = telegramify_markdown.convert(markdown)
    except Exception:
        log.exception("could not format a reply as Markdown; sending it as plain text")
        return Formatted(markdown.strip())
    text, entities = _links_in_plain_sight(text, entities)
    stripped = text.rstrip()
    end = utf16_len(stripped)
    kept = tuple(
        dataclasses.replace(entity, length=min(entity.length, end - entity.offset))
        for entity in entities
        if entity.offset < end
    )
    return Formatted(stripped, kept)


def _links_in_plain_sight(
    text: str, entities: list[RenderedEntity]
) -> tuple[str, list[RenderedEntity]]:
    """Each link's address is written after its label (unless the label is the address), and
    only links with a scheme in LINK_SCHEMES stay tappable."""
    units = text.encode("utf-16-le")
    links = sorted(
        (entity for entity in entities if entity.type == "text_link"),
        key=lambda entity: entity.offset,
        reverse=True,
    )
    for link in links:
        url = link.url or ""
        if urlsplit(url).scheme.lower() not in LINK_SCHEMES:
            entities = [entity for entity in entities if entity is not link]
        start, end = link.offset * 2, (link.offset + link.length) * 2
        label = units[start:end].decode("utf-16-le").strip()
        if label in (url, url.removeprefix("mailto:")):
            continue
        shown = f" ({url})"
        units = units[:end] + shown.encode("utf-16-le") + units[end:]
        entities = [
            _make_room(entity, link.offset + link.length, utf16_len(shown)) for entity in entities
        ]
    return units.decode("utf-16-le"), entities


def _make_room(entity: RenderedEntity, at: int, size: int) -> RenderedEntity:
    """The entity after `size` units were inserted at `at`: moved, or grown if it spans `at`."""
    if entity.offset >= at:
        return dataclasses.replace(entity, offset=entity.offset + size)
    if entity.offset + entity.length > at:
        return dataclasses.replace(entity, length=entity.length + size)
    return entity


def split(formatted: Formatted, limit: int = TEXT_LIMIT) -> list[Formatted]:
    """Pieces of at most `limit` UTF-16 units, cut at line breaks where possible.

    An entity crossing a cut (a code block, a bold run) is closed at the cut and reopened in
    the next piece, so every piece is a valid, fully formatted message.
    """
    if formatted.is_empty:
        return []
    return [
        Formatted(text, tuple(entities))
        for text, entities in split_entities(formatted.text, list(formatted.entities), limit)
    ]


def first_piece(formatted: Formatted, limit: int = TEXT_LIMIT) -> Formatted:
    """The beginning that fits in one message (what a growing, streamed reply can show)."""
    pieces = split(formatted, limit)
    return pieces[0] if pieces else formatted


def after_plain(prefix: str, body: Formatted, separator: str = "\n\n") -> Formatted:
    """Plain `prefix` (shown as is, never parsed) followed by formatted `body`."""
    if not prefix.strip():
        return body
    lead = prefix.rstrip() + separator
    shift = utf16_len(lead)
    moved = tuple(
        dataclasses.replace(entity, offset=entity.offset + shift) for entity in body.entities
    )
    return Formatted(lead + body.text, moved)
