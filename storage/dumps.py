"""A consistent copy of the database while the bot runs, and putting one back.

SQLite: the online backup API copies one snapshot page by page (WAL lets writers carry on).
PostgreSQL: `pg_dump` in plain SQL (one snapshot; text that restic and rclone store well),
read back with `psql` in one transaction. Either way the copy tells its schema heads and the
row count of every table, which a restore checks before it migrates the copy forward.
"""

from __future__ import annotations

import os
import re
import shutil
import sqlite3
import subprocess
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy.engine import make_url

SQLITE_HEADER = b"SQLite format 3\x00"
SQLITE_DUMP = "gepeto.db"
POSTGRES_DUMP = "gepeto.sql"
VERSION_TABLE = "alembic_version"
COPY_START = re.compile(r'^COPY (?:"?public"?\.)?"?([^" (]+)"? \(.*\) FROM stdin;$')
COPY_END = "\\."
MAX_ERROR_CHARS = 300


class DumpError(Exception):
    """The database could not be copied or put back; the message says what to do."""


@dataclass(frozen=True)
class DumpFacts:
    """What a database copy holds: its schema heads and each table's row count."""

    heads: tuple[str, ...]
    rows: dict[str, int]


def is_postgres(url: str) -> bool:
    return make_url(url).get_backend_name() == "postgresql"


def sqlite_path(url: str) -> Path:
    """The file of an SQLite URL."""
    database = make_url(url).database
    if not database or database == ":memory:":
        raise DumpError("An in-memory database cannot be backed up: set storage.data_dir.")
    return Path(database)


def is_sqlite_file(path: Path) -> bool:
    try:
        with path.open("rb") as handle:
            return handle.read(len(SQLITE_HEADER)) == SQLITE_HEADER
    except OSError:
        return False


def copy_sqlite(source: Path, target: Path) -> None:
    """One consistent snapshot of a live SQLite file (its WAL included) into `target`."""
    target.parent.mkdir(parents=True, exist_ok=True)
    reader = sqlite3.connect(f"file:{source}?mode=ro", uri=True, timeout=30)
    writer = sqlite3.connect(target)
    try:
        reader.backup(writer)
    finally:
        writer.close()
        reader.close()


def sqlite_facts(path: Path) -> DumpFacts:
    connection = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    try:
        tables = [
            str(name)
            for (name,) in connection.execute(
                "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'"
            )
        ]
        rows = {
            table: int(connection.execute(f'SELECT count(*) FROM "{table}"').fetchone()[0])
            for table in tables
            if table != VERSION_TABLE
        }
        heads: tuple[str, ...] = ()
        if VERSION_TABLE in tables:
            found = connection.execute(f"SELECT version_num FROM {VERSION_TABLE}").fetchall()
            heads = tuple(sorted(str(head) for (head,) in found))
        return DumpFacts(heads, rows)
    finally:
        connection.close()


def postgres_program(name: str) -> Path:
    """pg_dump or psql: on PATH, else from Debian's newest /usr/lib/postgresql/<version>/bin."""
    found = shutil.which(name)
    if found:
        return Path(found)
    candidates = sorted(
        Path("/usr/lib/postgresql").glob(f"*/bin/{name}"),
        key=lambda path: int(path.parent.parent.name) if path.parent.parent.name.isdigit() else 0,
    )
    if not candidates:
        raise DumpError(
            f"{name} is not installed: install PostgreSQL's client programs "
            "(apt-get install postgresql-client) to back up or restore a PostgreSQL database."
        )
    return candidates[-1]


def _libpq(url: str) -> tuple[str, dict[str, str]]:
    """A libpq URI without the password, and an environment carrying it (never in `ps`)."""
    parsed = make_url(url)
    env = dict(os.environ)
    if parsed.password:
        env["PGPASSWORD"] = str(parsed.password)
    plain = parsed.set(drivername="postgresql", password=None, query={})
    return plain.render_as_string(hide_password=False), env


def _run(command: list[str], env: dict[str, str], what: str) -> None:
    done = subprocess.run(command, env=env, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        detail = done.stderr.strip().splitlines()[-1:] or ["no output"]
        raise DumpError(f"{what} failed: {detail[0][:MAX_ERROR_CHARS]}")


def dump_postgres(url: str, target: Path) -> None:
    """The whole database as plain SQL, from one snapshot."""
    target.parent.mkdir(parents=True, exist_ok=True)
    uri, env = _libpq(url)
    command = [str(postgres_program("pg_dump")), "--no-owner", "--no-privileges"]
    _run([*command, "--file", str(target), "--dbname", uri], env, "pg_dump")


def load_postgres(url: str, dump: Path) -> None:
    """Replays a plain dump into an empty database, all or nothing."""
    uri, env = _libpq(url)
    command = [str(postgres_program("psql")), "-X", "-q", "-v", "ON_ERROR_STOP=1"]
    _run([*command, "--single-transaction", "-f", str(dump), "--dbname", uri], env, "psql")


def postgres_facts(dump: Path) -> DumpFacts:
    """Heads and row counts read from the dump's COPY blocks (one line per row)."""
    rows: dict[str, int] = {}
    heads: list[str] = []
    table: str | None = None
    with dump.open(encoding="utf-8") as lines:
        for line in lines:
            line = line.rstrip("\n")
            if table is None:
                started = COPY_START.match(line)
                if started:
                    table = started.group(1)
                    rows.setdefault(table, 0)
            elif line == COPY_END:
                table = None
            elif table == VERSION_TABLE:
                heads.append(line)
            else:
                rows[table] += 1
    rows.pop(VERSION_TABLE, None)
    return DumpFacts(tuple(sorted(heads)), rows)
