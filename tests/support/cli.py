"""Runs the `gepeto` command in this process, as a person types it, against a test bot.toml."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from pathlib import Path

from typer.testing import CliRunner

from bot.cli import app, mount_skill_commands


@dataclass(frozen=True)
class CommandResult:
    exit_code: int
    stdout: str
    stderr: str


@dataclass(frozen=True)
class Gepeto:
    """`gepeto --config <bot.toml> ...`; logging is put back as it was after every command."""

    config_path: Path

    def __call__(self, *args: str, stdin: str | None = None) -> CommandResult:
        root = logging.getLogger()
        handlers, level = list(root.handlers), root.level
        mount_skill_commands(args)
        try:
            result = CliRunner().invoke(
                app, ["--config", str(self.config_path), *args], input=stdin
            )
        finally:
            for handler in root.handlers:
                if handler not in handlers:
                    handler.close()
            root.handlers[:] = handlers
            root.setLevel(level)
        if result.exception is not None and not isinstance(result.exception, SystemExit):
            raise result.exception
        return CommandResult(result.exit_code, result.stdout, result.stderr)
