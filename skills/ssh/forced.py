"""The target's own defence: the checker program for a host and its `authorized_keys` line."""

from __future__ import annotations

import json
from pathlib import Path

import asyncssh

from skills.ssh import checker
from skills.ssh.catalog import Host

CHECKER_PATH = "/usr/local/bin/gepeto-ssh-check"
CATALOG_LINE = 'SHAPES: list[dict[str, Any]] = json.loads("[]")  # gepeto: catalog'


def checker_program(host: Host) -> str:
    """checker.py with this host's action shapes filled in: install it on the machine."""
    source = Path(checker.__file__).read_text(encoding="utf-8")
    shapes = json.dumps([action.shape() for action in host.actions.values()], sort_keys=True)
    filled = f"SHAPES: list[dict[str, Any]] = json.loads({shapes!r})  # gepeto: catalog"
    if CATALOG_LINE not in source:
        raise RuntimeError("checker.py lost its catalog line")
    return source.replace(CATALOG_LINE, filled, 1)


def authorized_keys_line(
    key: asyncssh.SSHKey, host_name: str, checker_path: str = CHECKER_PATH
) -> str:
    """`restrict,command="…" ssh-ed25519 AAAA… gepeto@nas`: no shell, no forwarding, no pty."""
    if '"' in checker_path or "\\" in checker_path or not checker_path.startswith("/"):
        raise ValueError("the checker path must be absolute, without quotes or backslashes")
    public = key.export_public_key("openssh").decode("ascii").split()
    return f'restrict,command="{checker_path}" {public[0]} {public[1]} gepeto@{host_name}'
