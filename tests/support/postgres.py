"""A throw-away PostgreSQL cluster for the tests: `initdb` in a temporary folder, on loopback.

Debian's `postgresql` package puts the server programs in /usr/lib/postgresql/<version>/bin;
`initdb` refuses to run as root, so as root the cluster belongs to the `postgres` user.
"""

from __future__ import annotations

import contextlib
import itertools
import os
import shutil
import socket
import subprocess
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

SERVER_USER = "postgres"
START_TIMEOUT_S = 60


class NoPostgres(Exception):
    """PostgreSQL's server programs are not installed here."""


def server_programs() -> Path:
    """The folder holding initdb, pg_ctl and psql (the newest installed version)."""
    found = shutil.which("initdb")
    if found:
        return Path(found).resolve().parent
    versions = sorted(
        Path("/usr/lib/postgresql").glob("*/bin/initdb"),
        key=lambda path: int(path.parent.parent.name) if path.parent.parent.name.isdigit() else 0,
    )
    if not versions:
        raise NoPostgres("initdb is not installed: apt-get install -y postgresql")
    return versions[-1].parent


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


@dataclass
class Cluster:
    """A running server; `new_database()` gives each household a database of its own."""

    programs: Path
    folder: Path
    port: int
    as_root: bool
    _names: Iterator[int] = field(default_factory=lambda: itertools.count(1))

    @property
    def data(self) -> Path:
        return self.folder / "data"

    def url(self, database: str, driver: str = "postgresql+asyncpg") -> str:
        return f"{driver}://{SERVER_USER}@127.0.0.1:{self.port}/{database}"

    def new_database(self) -> str:
        """Creates an empty database; returns its SQLAlchemy URL."""
        name = f"household_{os.getpid()}_{next(self._names)}"
        self.psql(f'CREATE DATABASE "{name}"')
        return self.url(name)

    def psql(self, sql: str, database: str = "postgres") -> str:
        command = [
            str(self.programs / "psql"),
            *("-h", "127.0.0.1", "-p", str(self.port), "-U", SERVER_USER, "-d", database),
            *("-X", "-q", "-t", "-A", "-v", "ON_ERROR_STOP=1", "-c", sql),
        ]
        done = subprocess.run(command, capture_output=True, text=True, check=False)
        if done.returncode != 0:
            raise RuntimeError(f"psql failed: {done.stderr.strip()}")
        return done.stdout

    def _as_server_user(self, command: list[str]) -> list[str]:
        return ["runuser", "-u", SERVER_USER, "--", *command] if self.as_root else command

    def start(self) -> None:
        self.data.mkdir(parents=True)
        if self.as_root:
            shutil.chown(self.folder, SERVER_USER)
            shutil.chown(self.data, SERVER_USER)
        initdb = [
            str(self.programs / "initdb"),
            *("-D", str(self.data), "-U", SERVER_USER, "-A", "trust", "-E", "UTF8"),
            "--no-sync",
        ]
        subprocess.run(self._as_server_user(initdb), check=True, capture_output=True)
        options = (
            f"-c listen_addresses=127.0.0.1 -c port={self.port} "
            f"-c unix_socket_directories={self.folder} -c fsync=off "
            "-c synchronous_commit=off -c full_page_writes=off -c max_connections=200"
        )
        start = [
            str(self.programs / "pg_ctl"),
            *("-D", str(self.data), "-o", options, "-l", str(self.folder / "server.log")),
            *("-w", "-t", str(START_TIMEOUT_S), "start"),
        ]
        subprocess.run(self._as_server_user(start), check=True, capture_output=True)

    def stop(self) -> None:
        stop = [str(self.programs / "pg_ctl"), "-D", str(self.data), "-m", "immediate", "stop"]
        subprocess.run(self._as_server_user(stop), check=False, capture_output=True)
        shutil.rmtree(self.folder, ignore_errors=True)


@contextlib.contextmanager
def throwaway_cluster() -> Iterator[Cluster]:
    """Starts a cluster on a free loopback port and removes it, files and all, afterwards."""
    programs = server_programs()
    folder = Path(tempfile.mkdtemp(prefix="gepeto-pg-"))
    cluster = Cluster(programs, folder, _free_port(), as_root=os.geteuid() == 0)
    try:
        cluster.start()
        yield cluster
    finally:
        cluster.stop()
