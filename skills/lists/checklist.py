"""Markdown checklists (`- [ ] milk`) as Obsidian writes them: read, add, tick off."""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

ITEM = re.compile(r"^(?P<indent>\s*)[-*+] \[(?P<mark>[ xX])\] (?P<text>.*?)\s*$")


@dataclass(frozen=True)
class Entry:
    text: str
    done: bool


def entries(note: str) -> list[Entry]:
    found = []
    for line in note.splitlines():
        match = ITEM.match(line)
        if match and match["text"]:
            found.append(Entry(text=match["text"], done=match["mark"] != " "))
    return found


def _key(text: str) -> str:
    """What makes two items the same: case, spacing and invisible characters (ZWSP, bidi
    marks) don't count, nor do compatibility forms (full-width letters)."""
    visible = "".join(char for char in text if unicodedata.category(char) != "Cf")
    return " ".join(unicodedata.normalize("NFKC", visible).casefold().split())


def add(note: str, items: list[str]) -> tuple[str, list[str], list[str]]:
    """Adds unchecked items (a ticked one is reopened); returns (note, added, already there)."""
    lines = note.splitlines()
    positions = {}
    last_item = -1
    for index, line in enumerate(lines):
        match = ITEM.match(line)
        if match:
            positions[_key(match["text"])] = index
            last_item = index
    added: list[str] = []
    present: list[str] = []
    new_lines: list[str] = []
    for item in items:
        key = _key(item)
        if key in positions or key in (_key(n) for n in added):
            at = positions.get(key)
            if at is not None:
                match = ITEM.match(lines[at])
                if match and match["mark"] != " ":
                    lines[at] = f"{match['indent']}- [ ] {match['text']}"
                    added.append(match["text"])
                    continue
            present.append(item)
            continue
        added.append(item)
        new_lines.append(f"- [ ] {item}")
    insert_at = last_item + 1 if last_item >= 0 else len(lines)
    if last_item < 0 and lines and lines[-1].strip():
        new_lines.insert(0, "")
    lines[insert_at:insert_at] = new_lines
    return "\n".join(lines) + "\n", added, present


def tick(note: str, items: list[str]) -> tuple[str, list[str], list[str]]:
    """Marks items done; returns (new note, ticked, not found)."""
    lines = note.splitlines()
    ticked: list[str] = []
    missing: list[str] = []
    for item in items:
        key = _key(item)
        for index, line in enumerate(lines):
            match = ITEM.match(line)
            if match and match["mark"] == " " and _key(match["text"]) == key:
                lines[index] = f"{match['indent']}- [x] {match['text']}"
                ticked.append(match["text"])
                break
        else:
            missing.append(item)
    return "\n".join(lines) + ("\n" if lines else ""), ticked, missing
