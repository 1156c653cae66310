"""Words the family wrote, made safe to put into a Markdown reply: they show exactly as typed."""

from __future__ import annotations

import re

# Inline syntax of our dialect (CommonMark + tables, strikethrough, task lists, math, spoilers):
# emphasis, code, links and images, raw HTML and autolinks, entities, ~~, |, $.
_INLINE = re.compile(r"([\\`*_\[\]<>&~|$])")
# What starts a block where a line starts: headings, quotes, lists, setext underlines.
_BLOCK_START = re.compile(r"^([ \t]*)(?:([-+=#])|(\d{1,9})([.)])(?=[ \t]|$))", re.MULTILINE)


def escape(text: str) -> str:
    """`text` with every Markdown-significant character backslash-escaped."""
    escaped = _INLINE.sub(r"\\\1", text)
    return _BLOCK_START.sub(_escape_block_start, escaped)


def _escape_block_start(match: re.Match[str]) -> str:
    indent, marker, number, delimiter = match.groups()
    if marker is not None:
        return f"{indent}\\{marker}"
    return f"{indent}{number}\\{delimiter}"
