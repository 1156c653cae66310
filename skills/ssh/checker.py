#!/usr/bin/env python3
"""Gepeto's forced-command checker: runs a command only when it has one of the catalog's shapes.

Installed on the family's machine and named in `authorized_keys` as
`restrict,command="/usr/local/bin/gepeto-ssh-check"`, it reads what Gepeto asked for from
`SSH_ORIGINAL_COMMAND`, splits it like a POSIX shell would (no shell ever runs it), and
`exec`s it only when it fits an action of this host's catalog — so even a Gepeto that was
taken over cannot run anything else there. `gepeto ssh checker HOST` prints this file with
the host's catalog filled in; Gepeto itself validates every value with the same rules.
Needs only Python 3.8+ on the machine; one file, no packages.
"""

from __future__ import annotations

import json
import os
import re
import shlex
import sys
from typing import Any

SHAPES: list[dict[str, Any]] = json.loads("[]")  # gepeto: catalog
"""Each shape: {"argv": ["systemctl", "restart", "{service}"], "args": {"service": {...}}}."""

UNSAFE_CHARACTERS = frozenset(";&|$`<>()[]{}*?!~#'\"\\%^,= \t\r\n\x00")
"""Never allowed in a value, whatever the catalog's pattern says."""
PLACEHOLDER = re.compile(r"\{([a-z][a-z0-9_]{0,31})\}")
NUMBER = re.compile(r"[0-9]{1,18}")
REFUSED = 126


def placeholder(part: str) -> str | None:
    """The argument an argv element stands for (`{service}` → `service`), else None."""
    found = PLACEHOLDER.fullmatch(part)
    return found.group(1) if found else None


def value_fits(spec: dict[str, Any], word: str) -> bool:
    """Whether one word is an allowed value of an argument: the same rule on both machines."""
    if not word or word.startswith("-") or not word.isascii() or not word.isprintable():
        return False
    if any(character in UNSAFE_CHARACTERS for character in word):
        return False
    kind = spec.get("kind")
    if kind == "choice":
        return word in spec["values"]
    if kind == "number":
        return bool(NUMBER.fullmatch(word)) and spec["min"] <= int(word) <= spec["max"]
    if kind == "text":
        return len(word) <= spec["max_length"] and bool(re.fullmatch(spec["pattern"], word))
    return False


def fits(shape: dict[str, Any], argv: list[str]) -> bool:
    template: list[str] = shape["argv"]
    if len(template) != len(argv):
        return False
    for part, word in zip(template, argv, strict=False):
        name = placeholder(part)
        if name is None:
            if part != word:
                return False
        elif not value_fits(shape["args"][name], word):
            return False
    return True


def allowed(command: str, shapes: list[dict[str, Any]]) -> list[str] | None:
    """The argv to run when the command has one of the shapes, else None."""
    try:
        argv = shlex.split(command, comments=False, posix=True)
    except ValueError:
        return None
    if any(fits(shape, argv) for shape in shapes):
        return argv
    return None


def main() -> int:
    command = os.environ.get("SSH_ORIGINAL_COMMAND", "")
    argv = allowed(command, SHAPES) if command else None
    if argv is None:
        sys.stderr.write("gepeto-ssh-check: refused: not one of Gepeto's catalog actions\n")
        return REFUSED
    try:
        os.execvp(argv[0], argv)
    except OSError as error:
        sys.stderr.write(f"gepeto-ssh-check: cannot run {argv[0]}: {error.strerror}\n")
        return 127


if __name__ == "__main__":
    sys.exit(main())
