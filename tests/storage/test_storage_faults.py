"""Issue 10, item 5: a broken, full or read-only database stops Gepeto with one sentence."""

from __future__ import annotations

import asyncio
import errno
import os
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

from bot.app import open_app
from bot.clock import ManualClock
from bot.config import Config
from storage.database import SEEN_SUFFIX, StorageError, storage_fault
from tests.support.cli import Gepeto
from tests.support.home import clean_environment, write_bot_toml

pytestmark = pytest.mark.sqlite_only  # damaged, full and vanished SQLite files

PROCESS_WAIT_S = 60.0


def the_real_sqlite_error(path: Path, statement: str, *, read_only: bool = False) -> sqlite3.Error:
    uri = f"file:{path}?mode=ro" if read_only else f"file:{path}"
    connection = sqlite3.connect(uri, uri=True)
    try:
        with pytest.raises(sqlite3.Error) as raised:
            connection.execute(statement)
        return raised.value
    finally:
        connection.close()


def one_sentence(text: str) -> str:
    [line] = text.strip().splitlines()
    assert "Traceback" not in line
    return line


def test_issue10_item5_a_full_disk_is_named_with_what_to_do(tmp_path: Path) -> None:
    path = tmp_path / "gepeto.db"
    connection = sqlite3.connect(path)
    connection.execute("CREATE TABLE note (text BLOB)")
    connection.execute("PRAGMA max_page_count = 2")  # the disk is "full" after two pages
    connection.close()
    connection = sqlite3.connect(path)
    connection.execute("PRAGMA max_page_count = 2")
    with pytest.raises(sqlite3.Error) as full:
        connection.execute("INSERT INTO note VALUES (zeroblob(100000))")
    connection.close()
    assert full.value.sqlite_errorname == "SQLITE_FULL"

    fault = storage_fault(full.value, path)

    assert fault is not None
    assert str(fault) == (
        f"The disk holding {path} is full: free some space there, then start Gepeto again."
    )
    enospc = storage_fault(OSError(errno.ENOSPC, "No space left on device"), path)
    assert str(enospc) == str(fault)


def test_issue10_item5_a_read_only_database_asks_to_fix_permissions(tmp_path: Path) -> None:
    path = tmp_path / "gepeto.db"
    sqlite3.connect(path).execute("CREATE TABLE note (text TEXT)").connection.close()
    read_only = the_real_sqlite_error(path, "INSERT INTO note VALUES ('x')", read_only=True)
    assert read_only.sqlite_errorname == "SQLITE_READONLY"

    fault = storage_fault(read_only, path)

    assert fault is not None
    assert f"Gepeto cannot write to {path}: fix the permissions of {tmp_path}" in str(fault)
    for code in (errno.EACCES, errno.EROFS):
        assert str(storage_fault(PermissionError(code, "denied"), path)) == str(fault)


def test_issue10_item5_other_errors_are_not_passed_off_as_storage_faults(tmp_path: Path) -> None:
    path = tmp_path / "gepeto.db"
    syntax = the_real_sqlite_error(path, "SELEC 1")

    assert storage_fault(syntax, path) is None
    assert storage_fault(ValueError("a bug"), path) is None


def test_issue10_item5_a_corrupt_database_is_one_sentence_from_the_cli(
    gepeto: Gepeto, tmp_path: Path
) -> None:
    database = tmp_path / "data" / "gepeto.db"
    database.parent.mkdir()
    database.write_bytes(os.urandom(8192))

    result = gepeto("db", "upgrade")

    assert result.exit_code == 1
    assert one_sentence(result.stderr) == (
        f"{database} is damaged (it is not a readable SQLite database): stop Gepeto and "
        "restore it from your latest backup."
    )


def test_issue10_item5_a_data_dir_that_is_a_file_is_one_sentence(
    gepeto: Gepeto, tmp_path: Path
) -> None:
    (tmp_path / "data").write_text("not a folder")

    result = gepeto("db", "upgrade")

    assert result.exit_code == 1
    sentence = one_sentence(result.stderr)
    assert sentence.startswith(f"Gepeto cannot create {tmp_path / 'data' / 'gepeto.db'}")
    assert "point storage.data_dir at a folder" in sentence


def test_issue10_item5_a_restart_after_the_database_vanished_refuses_an_empty_family(
    config: Config, clock: ManualClock, gepeto: Gepeto
) -> None:
    database = config.settings.storage.data_dir / "gepeto.db"
    assert gepeto("members", "add", "Ana", "--role", "parent").exit_code == 0
    assert database.with_name("gepeto.db" + SEEN_SUFFIX).is_file()
    refusal = (
        f"{database} is missing or empty, but a family database lived there: restore it from "
        f"your latest backup, or delete gepeto.db{SEEN_SUFFIX} to start again with no family."
    )

    database.unlink()
    missing = gepeto("db", "upgrade")
    sqlite3.connect(database).execute("PRAGMA journal_mode=WAL").connection.close()
    empty = gepeto("db", "upgrade")

    assert (missing.exit_code, one_sentence(missing.stderr)) == (1, refusal)
    assert (empty.exit_code, one_sentence(empty.stderr)) == (1, refusal)
    with pytest.raises(StorageError, match="missing or empty"):
        asyncio.run(open_and_close(config, clock))


async def open_and_close(config: Config, clock: ManualClock) -> None:
    async with open_app(config, clock=clock):
        pass


@pytest.mark.slow
def test_issue10_item5_gepeto_run_on_a_corrupt_database_exits_with_one_sentence(
    tmp_path: Path,
) -> None:
    write_bot_toml(tmp_path)
    database = tmp_path / "data" / "gepeto.db"
    database.parent.mkdir()
    database.write_bytes(os.urandom(8192))

    finished = subprocess.run(
        [sys.executable, "-m", "bot", "--config", str(tmp_path / "bot.toml"), "run"],
        cwd=tmp_path,
        env=clean_environment(),
        stdin=subprocess.DEVNULL,
        capture_output=True,
        timeout=PROCESS_WAIT_S,
        check=False,
    )

    assert finished.returncode == 1
    sentence = one_sentence(finished.stderr.decode("utf-8"))
    assert sentence.startswith(f"{database} is damaged")
    assert sentence.endswith("restore it from your latest backup.")
