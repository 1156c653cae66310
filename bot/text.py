"""Text at the edges: what arrives is normalised and capped, what a terminal prints is inert."""

from __future__ import annotations

import re
import unicodedata

from bot.messages import Incoming

DEFAULT_MAX_MESSAGE_CHARS = 16_000
"""Longest message text Gepeto reads ([safety] max_message_chars); the rest is never stored."""

_TERMINAL_SEQUENCES = re.compile(
    r"\x1b\[[0-?]*[ -/]*[@-~]"  # CSI: colours, cursor moves, clearing the screen
    r"|\x1b\][^\x07\x1b]*(?:\x07|\x1b\\)?"  # OSC: window titles, hyperlinks, clipboard
    r"|\x1b[PX^_][^\x1b]*(?:\x1b\\)?"  # DCS, SOS, PM, APC strings
)
# Controls (but tab and newline), zero-width and bidi formatting characters: invisible, yet they
# make "mi\u200blk" differ from "milk" or reorder what a reader sees.
_INVISIBLE = re.compile(
    "[\x00-\x08\x0b-\x1f\x7f-\x9f\u00ad\u061c\u180e\u200b\u200e\u200f\u202a-\u202e"
    "\u2060-\u2064\u2066-\u2069\ufeff\ufff9-\ufffb]"
)
# Joiners shape emoji (👨‍👩‍👧) and scripts such as Persian, so they stay between non-ASCII
# characters and go where they would only hide inside a Latin word.
_STRAY_JOINER = re.compile("(?<![^\x00-\x7f])[\u200c\u200d]|[\u200c\u200d](?![^\x00-\x7f])")
# Tag characters smuggle invisible text; they are kept only inside a flag (🏴 England, Scotland).
_TAGS = re.compile("(\U0001f3f4[\U000e0020-\U000e007e]+\U000e007f)|[\U000e0000-\U000e007f]")
_LINE_BREAKS = re.compile("\r\n?|[\u2028\u2029\x85]")
_UNPRINTABLE = re.compile(
    "[\x00-\x08\x0b-\x1f\x7f-\x9f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]"
)


def clean_text(text: str) -> str:
    """One normal form (NFC) without controls, zero-width or bidi characters; keeps \\n and \\t."""
    text = _LINE_BREAKS.sub("\n", text)
    text = _TERMINAL_SEQUENCES.sub("", text)
    text = _INVISIBLE.sub("", text)
    text = _STRAY_JOINER.sub("", text)
    text = _TAGS.sub(lambda match: match.group(1) or "", text)
    return unicodedata.normalize("NFC", text)


def clean_incoming(incoming: Incoming, max_chars: int = DEFAULT_MAX_MESSAGE_CHARS) -> Incoming:
    """The message as Gepeto handles it: clean text and names, and no more than `max_chars`."""
    text = incoming.text
    cut_from = None
    if len(text) > max_chars:
        cut_from, text = len(text), text[:max_chars]
    reply_to = incoming.reply_to_text
    return incoming.model_copy(
        update={
            "text": clean_text(text),
            "sender_name": clean_text(incoming.sender_name),
            "reply_to_text": clean_text(reply_to[:max_chars]) if reply_to is not None else None,
            "forwarded_from": (
                clean_text(incoming.forwarded_from) if incoming.forwarded_from else None
            ),
            "cut_from_chars": cut_from,
        }
    )


def printable(text: str) -> str:
    """Text a terminal shows as is: escape sequences and controls appear as \\x1b, never act."""
    return _UNPRINTABLE.sub(lambda match: ascii(match.group())[1:-1], text)
