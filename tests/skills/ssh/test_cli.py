"""Issue 16 from the terminal: `gepeto ssh authorize/checker`, and `gepeto say` against the NAS."""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import subprocess
import sys
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import asyncssh
import pytest

from skills.ssh.forced import authorized_keys_line
from tests.skills.ssh.conftest import Keys, write_household
from tests.skills.ssh.machine import Executed, FamilyMachine
from tests.support.cli import Gepeto


@contextlib.contextmanager
def machine_in_background(line: str, host_key: asyncssh.SSHKey) -> Iterator[FamilyMachine]:
    """The NAS on its own event loop, so each `gepeto` command can run its own."""
    loop = asyncio.new_event_loop()
    thread = threading.Thread(target=loop.run_forever, daemon=True)
    thread.start()
    machine = FamilyMachine(line, host_key)
    asyncio.run_coroutine_threadsafe(machine.start(), loop).result(10)
    try:
        yield machine
    finally:
        asyncio.run_coroutine_threadsafe(machine.stop(), loop).result(10)
        loop.call_soon_threadsafe(loop.stop)
        thread.join(10)
        loop.close()


@pytest.fixture
def household(
    tmp_path: Path, keys: Keys, monkeypatch: pytest.MonkeyPatch, no_outside_settings: None
) -> Iterator[tuple[Gepeto, FamilyMachine]]:
    monkeypatch.setenv("SSH_KEY_FILE", str(keys.client_file))
    line = authorized_keys_line(keys.client, "nas", str(keys.checker))
    with machine_in_background(line, keys.host) as machine:
        yield Gepeto(write_household(tmp_path, machine.port, keys.host, keys.checker)), machine


def say(gepeto: Gepeto, member: str, text: str) -> dict[str, Any]:
    result = gepeto("say", "--as", member, "--json", text)
    assert result.exit_code == 0, result.stderr
    said: dict[str, Any] = json.loads(result.stdout)
    return said


def test_say_runs_reads_asks_before_restarting_and_refuses_the_rest(
    household: tuple[Gepeto, FamilyMachine],
) -> None:
    gepeto, machine = household

    full = say(gepeto, "Ana", "how full is the nas?")
    assert full["route"] == "fast"
    assert [a["status"] for a in full["actions"]] == ["done"]
    assert "Filesystem" in full["reply"]

    asked = say(gepeto, "Ana", "restart jellyfin on the nas")
    assert [a["status"] for a in asked["actions"]] == ["needs_confirmation"]
    assert "`echo restarted jellyfin` on nas" in asked["reply"]
    yes = say(gepeto, "Ana", "yes")
    assert "restarted jellyfin" in yes["reply"]

    refused = say(gepeto, "Ana", "restart sshd on the nas")
    assert [a["status"] for a in refused["actions"]] == ["failed"]

    assert gepeto("members", "add", "Leo", "--role", "child").exit_code == 0
    denied = say(gepeto, "Leo", "how full is the nas?")
    assert [a["status"] for a in denied["actions"]] == ["denied"]

    assert [run.requested for run in machine.executed] == ["df -P /", "echo restarted jellyfin"]
    assert machine.executed[-1] == Executed("echo restarted jellyfin", 0, killed=False)


def test_authorize_prints_the_restricted_line_for_gepetos_key(
    household: tuple[Gepeto, FamilyMachine], keys: Keys
) -> None:
    gepeto, _ = household

    result = gepeto("ssh", "authorize", "nas", "--checker", "/usr/local/bin/gepeto-ssh-check")

    assert result.exit_code == 0, result.stderr
    public = keys.client.export_public_key().decode().split()
    assert result.stdout.strip() == (
        f'restrict,command="/usr/local/bin/gepeto-ssh-check" {public[0]} {public[1]} gepeto@nas'
    )
    unknown = gepeto("ssh", "authorize", "nsa")
    assert unknown.exit_code == 2
    assert "There is no host 'nsa'" in unknown.stderr


@pytest.mark.parametrize(
    ("command", "runs"),
    [
        ("echo restarted jellyfin", True),
        ("echo 'restarted' \"nextcloud\"", True),
        ("echo restarted sshd", False),
        ("echo restarted jellyfin extra", False),
        ("echo restarted jellyfin; id", False),
        ("echo restarted $(id)", False),
        ("seq 1 100001", False),
        ("seq 1 -5", False),
        ("sh -c id", False),
        ("", False),
    ],
)
def test_the_printed_checker_runs_only_the_catalogs_shapes(
    household: tuple[Gepeto, FamilyMachine], tmp_path: Path, command: str, runs: bool
) -> None:
    gepeto, _ = household
    printed = gepeto("ssh", "checker", "nas")
    program = tmp_path / "printed-checker"
    program.write_text(printed.stdout, encoding="utf-8")

    ran = subprocess.run(
        [sys.executable, str(program)],
        env={"PATH": os.environ["PATH"], "SSH_ORIGINAL_COMMAND": command},
        capture_output=True,
        text=True,
        check=False,
    )

    assert (ran.returncode == 0) is runs, ran.stderr
    if not runs:
        assert ran.returncode == 126
        assert "refused" in ran.stderr
