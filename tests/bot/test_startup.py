"""The `gepeto` command starts cheaply: help without the database, and a `say` on an up-to-date
household without Alembic (issue 11 item 10). Checked by what a fresh process imported."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from tests.support.home import REPO, clean_environment, write_bot_toml

HEAVY = ("sqlalchemy", "sqlmodel", "alembic", "httpx", "ollama", "pydantic", "rich")
ON_DEMAND = (
    "httpx",
    "dateparser",
    "icalendar",
    "rapidfuzz",
    "ollama",
    "alembic",
    "bot.llm.turn",
)
"""Loaded by the message that needs them (a date, a calendar file, a chore's name, the web,
the LLM)."""
REPORT_IMPORTS = (
    "import atexit, json, sys\n"
    "atexit.register(lambda: print(json.dumps(sorted(sys.modules))))\n"
    "from bot.cli import main\n"
    "sys.argv[0] = 'gepeto'\n"
    "main()\n"
)


def imported_by(*args: str, cwd: Path = REPO) -> set[str]:
    """The modules and top-level packages a fresh `gepeto ARGS` process had imported."""
    done = subprocess.run(
        [sys.executable, "-c", REPORT_IMPORTS, *args],
        cwd=cwd,
        env=clean_environment(),
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )
    modules: list[str] = json.loads(done.stdout.strip().splitlines()[-1])
    return {*modules, *(module.split(".")[0] for module in modules)}


def test_help_loads_no_database_http_or_rich_formatting() -> None:
    assert imported_by("--help").isdisjoint(HEAVY)


def test_say_on_an_up_to_date_household_loads_only_what_the_message_needs(tmp_path: Path) -> None:
    config = str(write_bot_toml(tmp_path))
    say = ("--config", config, "say", "--as", "Alex", "add milk to the shopping list")
    assert "alembic" in imported_by(*say, cwd=tmp_path)  # the first call creates the database

    again = imported_by(*say, cwd=tmp_path)

    assert again.isdisjoint(ON_DEMAND)
    assert (tmp_path / "vault" / "Lists" / "Shopping.md").read_text(encoding="utf-8").count(
        "milk"
    ) == 1
