"""Matrix message contents: Markdown as sanitized `formatted_body`, relations, edits, reactions."""

from __future__ import annotations

import html as html_text
import re
from typing import Any

import nh3
from markdown_it import MarkdownIt
from markdown_it.token import Token

from bot.channels.common import split_markdown

# Well under the 64 KiB event limit, and still a comfortable read in one message.
PIECE_CHARS = 12_000
STREAM_MARK = " …"

# The tags and attributes the Matrix spec lets clients render (client-server API, m.room.message).
ALLOWED_TAGS = {
    "font", "del", "s", "h1", "h2", "h3", "h4", "h5", "h6", "blockquote", "p", "a", "ul", "ol",
    "sup", "sub", "li", "b", "i", "u", "strong", "em", "code", "hr", "br", "div", "table",
    "thead", "tbody", "tr", "th", "td", "caption", "pre", "span", "details", "summary",
}  # fmt: skip
ALLOWED_ATTRIBUTES = {
    "a": {"href", "target"},
    "ol": {"start"},
    "code": {"class"},
    "font": {"data-mx-bg-color", "data-mx-color", "color"},
    "span": {"data-mx-bg-color", "data-mx-color", "data-mx-spoiler"},
}
URL_SCHEMES = {"https", "http", "ftp", "mailto", "magnet"}
SIMPLE_PARAGRAPH = re.compile(r"^<p>([^<]*)</p>$")

_markdown = MarkdownIt("commonmark", {"html": False, "breaks": True}).enable(
    ["strikethrough", "table"]
)


def to_html(markdown: str) -> str | None:
    """Sanitized HTML for the text, or None when plain text says it all."""
    tokens = _markdown.parse(markdown)
    for block in tokens:
        if block.type == "inline" and block.children:
            block.children = _links_in_plain_sight(block.children)
    html = nh3.clean(
        _markdown.renderer.render(tokens, _markdown.options, {}).strip(),
        tags=ALLOWED_TAGS,
        attributes=ALLOWED_ATTRIBUTES,
        url_schemes=URL_SCHEMES,
        link_rel=None,
    )
    simple = SIMPLE_PARAGRAPH.match(html)
    if simple is not None and html_text.unescape(simple.group(1)) == markdown.strip():
        return None
    return html


def _links_in_plain_sight(children: list[Token]) -> list[Token]:
    """A link's address follows its label, so a label never hides where a link goes."""
    shown: list[Token] = []
    href, label = "", ""
    for token in children:
        shown.append(token)
        if token.type == "link_open":
            href, label = str(token.attrGet("href") or ""), ""
        elif token.type in ("text", "code_inline"):
            label += token.content
        elif token.type == "link_close" and label.strip() not in (
            href,
            href.removeprefix("mailto:"),
        ):
            shown.append(Token("text", "", 0, content=f" ({href})"))
    return shown


def text_content(markdown: str, msgtype: str = "m.text") -> dict[str, Any]:
    """An m.room.message content with a plain `body` and, when useful, a `formatted_body`."""
    content: dict[str, Any] = {"msgtype": msgtype, "body": markdown}
    html = to_html(markdown)
    if html is not None:
        content["format"] = "org.matrix.custom.html"
        content["formatted_body"] = html
    return content


def split_reply(markdown: str) -> list[str]:
    """The pieces a long reply is sent as."""
    return split_markdown(markdown, PIECE_CHARS) or [markdown]


def relation(thread_id: str | None, reply_to: str | None, *, quote: bool) -> dict[str, Any] | None:
    """m.relates_to that keeps an answer in its thread, quoting the question when asked to."""
    if thread_id:
        in_reply_to = reply_to if quote and reply_to else thread_id
        return {
            "rel_type": "m.thread",
            "event_id": thread_id,
            "is_falling_back": not (quote and reply_to),
            "m.in_reply_to": {"event_id": in_reply_to},
        }
    if quote and reply_to:
        return {"m.in_reply_to": {"event_id": reply_to}}
    return None


def with_relation(content: dict[str, Any], relates_to: dict[str, Any] | None) -> dict[str, Any]:
    return {**content, "m.relates_to": relates_to} if relates_to else content


def edit_content(original_event_id: str, new_content: dict[str, Any]) -> dict[str, Any]:
    """An m.replace edit: clients show `m.new_content`; the fallback body is marked with '*'."""
    fallback = {**new_content, "body": f"* {new_content['body']}"}
    if "formatted_body" in new_content:
        fallback["formatted_body"] = f"* {new_content['formatted_body']}"
    return {
        **fallback,
        "m.new_content": new_content,
        "m.relates_to": {"rel_type": "m.replace", "event_id": original_event_id},
    }


def reaction_content(event_id: str, key: str) -> dict[str, Any]:
    return {"m.relates_to": {"rel_type": "m.annotation", "event_id": event_id, "key": key}}


def draft_text(markdown: str) -> str:
    """A streamed reply while it is still being written: at most one piece, marked as growing."""
    if len(markdown) + len(STREAM_MARK) > PIECE_CHARS:
        markdown = split_markdown(markdown, PIECE_CHARS - len(STREAM_MARK))[0]
    return markdown + STREAM_MARK
