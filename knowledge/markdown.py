"""Reads one Obsidian note: frontmatter, title, aliases, tags, links, embeds, heading sections."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import PurePosixPath

import yaml
from markdown_it import MarkdownIt

_FRONTMATTER = re.compile(
    r"\A---[ \t]*\r?\n(.*?)(?:\r?\n)?^(?:---|\.\.\.)[ \t]*(?:\r?\n|\Z)", re.S | re.M
)
_FENCED_OR_INLINE_CODE = re.compile(r"(```|~~~).*?(?:\1|\Z)|`[^`\n]*`", re.S)
_COMMENT = re.compile(r"%%.*?(?:%%|\Z)|<!--.*?(?:-->|\Z)", re.S)
_WIKILINK = re.compile(r"(!?)\[\[([^\[\]\n]+?)\]\]")
_MD_EMBED = re.compile(r"!\[([^\]\n]*)\]\(([^)\n]*)\)")
_MD_LINK = re.compile(r"(?<!!)\[([^\]\n]+)\]\(([^)\n]*)\)")
_TAG = re.compile(r"(?:^|(?<=[\s(,]))#([\w/-]*[^\W\d][\w/-]*)", re.M)
_CALLOUT = re.compile(r"^(\s*>+\s*)\[!([^\]\n]+)\]([+-]?)[ \t]*(.*)$", re.M)
_QUOTE_MARKS = re.compile(r"^[ \t]*(?:>[ \t]?)+", re.M)
_BLOCK_ID = re.compile(r"(?:(?<=\s)|^)\^[A-Za-z0-9-]+[ \t]*$", re.M)
_HTML_TAG = re.compile(r"</?[A-Za-z][^>\n]*>")
_BLANK_RUNS = re.compile(r"\n{3,}")

_ATTACHMENT_SUFFIXES = frozenset(
    (
        *(".png", ".jpg", ".jpeg", ".gif", ".bmp", ".svg", ".webp", ".avif", ".pdf"),
        *(".mp3", ".wav", ".m4a", ".ogg", ".3gp", ".flac", ".webm", ".mp4", ".mkv", ".mov"),
        *(".ogv", ".canvas", ".base"),
    )
)
# Only block structure is needed (headings, code fences); inline parsing is most of the cost.
_parser = MarkdownIt("commonmark").disable("inline")
# Properties that steer Obsidian itself (or are read elsewhere) rather than say something.
_LAYOUT_PROPERTIES = frozenset(
    ("aliases", "alias", "tags", "tag", "title", "cssclasses", "cssclass", "permalink"),
) | frozenset(("publish", "mobile", "position", "kanban-plugin"))


@dataclass(frozen=True)
class Section:
    """A run of the note under one heading, kept with the headings above it."""

    heading_path: tuple[str, ...]
    markdown: str
    text: str


@dataclass(frozen=True)
class ParsedNote:
    """What the knowledge engine knows about a note after reading it."""

    path: str
    title: str
    aliases: tuple[str, ...]
    tags: tuple[str, ...]
    links: tuple[str, ...]
    embeds: tuple[str, ...]
    sections: tuple[Section, ...]
    frontmatter: Mapping[str, object] = field(default_factory=dict)
    problems: tuple[str, ...] = ()

    @property
    def properties_text(self) -> str:
        """Frontmatter properties worth searching, one "name: value" line each."""
        lines = []
        for name, value in self.frontmatter.items():
            if name.casefold() in _LAYOUT_PROPERTIES or isinstance(value, dict):
                continue
            values = _strings(value) if not isinstance(value, bool) else []
            if values and not any(isinstance(item, dict) for item in _list(value)):
                lines.append(f"{name}: {', '.join(values)}")
        return "\n".join(lines)


def parse_note(path: str, text: str) -> ParsedNote:
    """Parses a note's Markdown; broken frontmatter is kept as text and reported, never fatal."""
    text = text.lstrip("\ufeff").replace("\r\n", "\n")
    problems: list[str] = []
    frontmatter, body = _split_frontmatter(text, problems)
    stem = unicodedata.normalize("NFC", PurePosixPath(path).stem)
    title = _first_string(frontmatter.get("title")) or stem
    aliases = tuple(_dedupe(_strings(frontmatter.get("aliases", frontmatter.get("alias")))))
    searchable = _COMMENT.sub("", body)
    prose = _FENCED_OR_INLINE_CODE.sub(" ", searchable)
    tags = _dedupe(
        [
            _normalise_tag(tag)
            for tag in _strings(frontmatter.get("tags", frontmatter.get("tag")), ", ")
        ]
        + [_normalise_tag(match) for match in _TAG.findall(prose)]
    )
    links: list[str] = []
    embeds: list[str] = []
    for bang, inner in _WIKILINK.findall(prose):
        target = inner.split("|", 1)[0].split("#", 1)[0].strip()
        if target:
            (embeds if bang else links).append(target)
    embeds.extend(match[1].strip() for match in _MD_EMBED.findall(prose) if match[1].strip())
    return ParsedNote(
        path=path,
        title=title,
        aliases=aliases,
        tags=tuple(tag for tag in tags if tag and not tag.isdigit()),
        links=tuple(_dedupe(links)),
        embeds=tuple(_dedupe(embeds)),
        sections=tuple(_sections(searchable)),
        frontmatter=frontmatter,
        problems=tuple(problems),
    )


def is_attachment(name: str) -> bool:
    """True for files Obsidian shows as attachments rather than notes."""
    return PurePosixPath(name).suffix.lower() in _ATTACHMENT_SUFFIXES


def plain_text(markdown: str) -> str:
    """Markdown reduced to the words a reader sees (code left as written), for search."""
    pieces: list[str] = []
    start = 0
    for code in _FENCED_OR_INLINE_CODE.finditer(markdown):
        pieces.append(_prose_words(markdown[start : code.start()]))
        pieces.append(code[0])
        start = code.end()
    pieces.append(_prose_words(markdown[start:]))
    lines = (line.rstrip() for line in "".join(pieces).split("\n"))
    return _BLANK_RUNS.sub("\n\n", "\n".join(lines)).strip()


def _prose_words(markdown: str) -> str:
    text = _CALLOUT.sub(_callout_line, markdown)
    text = _QUOTE_MARKS.sub("", text)
    text = _WIKILINK.sub(_wikilink_words, text)
    text = _MD_EMBED.sub(lambda match: match[1], text)
    text = _MD_LINK.sub(lambda match: match[1], text)
    text = _BLOCK_ID.sub("", text)
    return _HTML_TAG.sub(" ", text)


def _split_frontmatter(text: str, problems: list[str]) -> tuple[dict[str, object], str]:
    match = _FRONTMATTER.match(text)
    if match is None:
        if text.startswith("---\n"):
            problems.append("frontmatter starts with --- but is never closed; read it as text")
        return {}, text
    try:
        loaded = yaml.safe_load(match[1]) if match[1].strip() else {}
    except yaml.YAMLError as error:
        mark = getattr(error, "problem_mark", None)
        where = f" (line {mark.line + 2})" if mark is not None else ""
        problems.append(f"frontmatter is not valid YAML{where}; read it as text")
        return {}, text
    if loaded is None:
        loaded = {}
    if not isinstance(loaded, dict):
        problems.append("frontmatter is not a list of properties; read it as text")
        return {}, text
    return {str(key): value for key, value in loaded.items()}, text[match.end() :]


def _sections(body: str) -> Iterable[Section]:
    lines = body.split("\n")
    headings: list[tuple[int, int, int, str]] = []
    tokens = _parser.parse(body)
    for index, token in enumerate(tokens):
        if token.type == "heading_open" and token.map is not None:
            inline = tokens[index + 1]
            name = plain_text(inline.content).strip()
            headings.append((token.map[0], token.map[1], int(token.tag[1]), name))
    path: list[tuple[int, str]] = []
    start = 0
    current: tuple[str, ...] = ()
    for first, after, level, name in headings:
        yield from _section(current, lines[start:first])
        path = [entry for entry in path if entry[0] < level] + [(level, name)]
        current = tuple(entry[1] for entry in path if entry[1])
        start = after
    yield from _section(current, lines[start:])


def _section(heading_path: tuple[str, ...], lines: list[str]) -> Iterable[Section]:
    markdown = "\n".join(lines).strip("\n")
    text = plain_text(markdown)
    if text:
        yield Section(heading_path=heading_path, markdown=markdown, text=text)


def _callout_line(match: re.Match[str]) -> str:
    kind = match[2].strip().split("|", 1)[0].capitalize()
    title = match[4].strip()
    return f"{match[1]}{kind}: {title}" if title else f"{match[1]}{kind}:"


def _wikilink_words(match: re.Match[str]) -> str:
    target, _, label = match[2].partition("|")
    if match[1] and is_attachment(target.split("#", 1)[0]):
        return ""
    if label and not re.fullmatch(r"\d+(x\d+)?", label.strip()):
        return label.strip()
    name, _, anchor = target.partition("#")
    if anchor.startswith("^"):
        anchor = ""
    return " ".join(part for part in (name.strip(), anchor.replace("#", " ").strip()) if part)


def _normalise_tag(tag: str) -> str:
    return unicodedata.normalize("NFC", tag.strip().lstrip("#").strip("/")).casefold()


def _strings(value: object, separators: str = "") -> list[str]:
    """A property's values as strings; a single string is split on `separators` if given."""
    if value is None:
        return []
    if isinstance(value, str):
        parts = re.split(f"[{re.escape(separators)}]", value) if separators else [value]
    elif isinstance(value, list | tuple | set):
        parts = [str(item) for item in value if item is not None]
    else:
        parts = [str(value)]
    return [unicodedata.normalize("NFC", part.strip()) for part in parts if part.strip()]


def _list(value: object) -> list[object]:
    return list(value) if isinstance(value, list | tuple | set) else [value]


def _first_string(value: object) -> str:
    items = _strings(value)
    return items[0] if items else ""


def _dedupe(items: Iterable[str]) -> list[str]:
    seen: dict[str, None] = {}
    for item in items:
        if item and item not in seen:
            seen[item] = None
    return list(seen)
