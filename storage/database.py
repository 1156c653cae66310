"""The async database engine, its SQLite settings, and applying migrations at start-up."""

from __future__ import annotations

import errno
import os
import sqlite3
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import quote

from sqlalchemy import Connection, event, inspect
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncEngine, async_sessionmaker, create_async_engine
from sqlmodel.ext.asyncio.session import AsyncSession

from storage.revisions import known_heads, known_revisions

if TYPE_CHECKING:
    from alembic.config import Config as AlembicConfig

MIGRATIONS = Path(__file__).parent / "migrations"

SessionFactory = async_sessionmaker[AsyncSession]

SEEN_SUFFIX = ".seen"
"""Beside gepeto.db once it holds a family: a missing or empty database is then a loss."""
CORRUPT_CODES = {sqlite3.SQLITE_CORRUPT, sqlite3.SQLITE_NOTADB}
READ_ONLY_CODES = {sqlite3.SQLITE_READONLY, sqlite3.SQLITE_PERM, sqlite3.SQLITE_AUTH}
READ_ONLY_ERRNOS = {errno.EACCES, errno.EPERM, errno.EROFS}


class StorageError(Exception):
    """The database cannot be used; the message names the file and what to do about it."""


class DatabaseLost(StorageError):
    """The database file was deleted or replaced while the bot was using it."""


def database_file(engine: AsyncEngine) -> Path | None:
    """The SQLite file behind an engine (None for in-memory and other databases)."""
    database = engine.url.database
    if engine.dialect.name != "sqlite" or not database or database == ":memory:":
        return None
    return Path(database)


def storage_fault(error: BaseException, path: Path) -> StorageError | None:
    """One sentence for a broken, full or read-only database, or None when it is none of those."""
    cause: BaseException | None = error
    while cause is not None:
        if isinstance(cause, DBAPIError) and isinstance(cause.orig, BaseException):
            cause = cause.orig
        if isinstance(cause, sqlite3.Error):
            return _sqlite_fault(cause.sqlite_errorcode & 0xFF, path)
        if isinstance(cause, OSError):
            return _os_fault(cause, path)
        cause = cause.__cause__ or cause.__context__
    return None


def _sqlite_fault(code: int, path: Path) -> StorageError | None:
    if code in CORRUPT_CODES:
        return StorageError(
            f"{path} is damaged (it is not a readable SQLite database): stop Gepeto and "
            "restore it from your latest backup."
        )
    if code == sqlite3.SQLITE_FULL:
        return _disk_full(path)
    if code in READ_ONLY_CODES:
        return _read_only(path)
    if code == sqlite3.SQLITE_CANTOPEN:
        return StorageError(
            f"Gepeto cannot open {path}: make sure {path.parent} is a folder that the user "
            "running Gepeto can write to."
        )
    return None


def _os_fault(error: OSError, path: Path) -> StorageError | None:
    if error.errno == errno.ENOSPC:
        return _disk_full(path)
    if error.errno in READ_ONLY_ERRNOS:
        return _read_only(path)
    if error.errno in (errno.ENOTDIR, errno.EEXIST):
        return StorageError(
            f"Gepeto cannot create {path}: {error.filename or path.parent} is in the way; "
            "point storage.data_dir at a folder."
        )
    return None


def _disk_full(path: Path) -> StorageError:
    return StorageError(
        f"The disk holding {path} is full: free some space there, then start Gepeto again."
    )


def _read_only(path: Path) -> StorageError:
    return StorageError(
        f"Gepeto cannot write to {path}: fix the permissions of {path.parent} (it must be "
        "writable by the user running Gepeto, on a disk mounted read-write), then start again."
    )


def _lost_at_start(path: Path) -> StorageError:
    return StorageError(
        f"{path} is missing or empty, but a family database lived there: restore it from your "
        f"latest backup, or delete {path.name}{SEEN_SUFFIX} to start again with no family."
    )


def create_engine(url: str) -> AsyncEngine:
    """An engine with WAL, a busy timeout and foreign keys when the database is SQLite."""
    engine = create_async_engine(url)
    path = database_file(engine)
    if path is not None:
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
        except OSError as error:
            raise _fault_or(error, path) from error
    if engine.dialect.name == "sqlite":
        if path is not None:  # first: no statement may run on a connection it refuses
            _OneFile(path).watch(engine)
        event.listen(engine.sync_engine, "connect", _tune_sqlite)
    return engine


class _OneFile:
    """Opens no new connection once the SQLite file is not the one the engine first opened.

    A new file at the same path would reuse the old file's shared-memory index (`-shm`); SQLite
    in this process would think itself its only user and truncate the index that the open
    connections have mapped into memory, and their next read kills the process (SIGBUS). Refused
    here, the loss is an ordinary database error that the database guard reports.

    The file may go in the middle of opening a connection, so: once the database exists, a
    connection opens it read-write without creating it (a deleted file is not made anew), and
    the file is checked again after the open, before any statement has touched the index.
    """

    def __init__(self, path: Path) -> None:
        self._path = path
        self._identity: tuple[int, int] | None = None

    def watch(self, engine: AsyncEngine) -> None:
        event.listen(engine.sync_engine, "do_connect", self._before_connect)
        event.listen(engine.sync_engine, "connect", self._after_connect)

    def _now(self) -> tuple[int, int] | None:
        try:
            status = os.stat(self._path)
        except OSError:
            return None
        return status.st_dev, status.st_ino

    def _before_connect(
        self, _dialect: Any, _record: Any, cargs: list[Any], cparams: dict[str, Any]
    ) -> None:
        if self._identity is None:
            return
        if self._now() != self._identity:
            raise self._replaced()
        if cargs and not cparams.get("uri"):
            cargs[0] = f"file:{quote(str(self._path))}?mode=rw"
            cparams["uri"] = True

    def _after_connect(self, dbapi_connection: Any, _record: Any) -> None:
        if self._identity is None:
            self._identity = self._now()
        elif self._now() != self._identity:
            dbapi_connection.close()
            raise self._replaced()

    def _replaced(self) -> sqlite3.OperationalError:
        return sqlite3.OperationalError(
            f"{self._path} is no longer the database this process opened"
        )


def _tune_sqlite(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA busy_timeout=5000")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.close()


def session_factory(engine: AsyncEngine) -> SessionFactory:
    return async_sessionmaker(engine, class_=AsyncSession, expire_on_commit=False)


def _alembic_config(connection: Connection, skill_folders: Sequence[Path] = ()) -> AlembicConfig:
    """The core migrations plus each skill's own folder (a branch on the core head)."""
    from alembic.config import Config as AlembicConfig

    config = AlembicConfig()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.set_main_option("path_separator", "os")
    locations = [MIGRATIONS / "versions", *skill_folders]
    config.set_main_option("version_locations", os.pathsep.join(str(p) for p in locations))
    config.attributes["connection"] = connection
    return config


async def upgrade(engine: AsyncEngine, skill_folders: Sequence[Path] = ()) -> None:
    """Applies every migration not yet applied, core and skills; safe to call on every start.

    A damaged, full or read-only database is refused in one sentence, and so is a missing or
    empty one where a family used to live: a restart after a loss must not start a new family.
    """
    path = database_file(engine)
    if path is None:
        async with engine.connect() as connection:
            await connection.run_sync(_migrate, None, skill_folders)
        return
    seen = path.with_name(path.name + SEEN_SUFFIX)
    had_family = seen.exists()
    if had_family and not path.exists():
        raise _lost_at_start(path)
    try:
        async with engine.connect() as connection:
            await connection.run_sync(_migrate, path if had_family else None, skill_folders)
        if not had_family:
            seen.write_text(
                f"{path.name} holds a family. While this file exists, Gepeto refuses to start on "
                f"a missing or empty {path.name}; delete it to start again with no family.\n",
                encoding="utf-8",
            )
    except (DBAPIError, OSError) as error:
        raise _fault_or(error, path) from error


def _migrate(
    connection: Connection, family_at: Path | None, skill_folders: Sequence[Path]
) -> None:
    """Migrates to the newest revision; `family_at` must already hold a migrated family."""
    versioned = inspect(connection).has_table("alembic_version")
    if family_at is not None and not versioned:
        raise _lost_at_start(family_at)
    heads = known_heads([MIGRATIONS / "versions", *skill_folders])
    if versioned and _applied(connection) == heads:
        return  # up to date: no need to load Alembic (issue 11 item 10)
    connection.commit()  # end the read above: the upgrade opens its own transaction
    from alembic import command
    from alembic.script.revision import RevisionError
    from alembic.util.exc import CommandError

    try:
        with _one_transaction(connection):
            command.upgrade(_alembic_config(connection, skill_folders), "heads")
    except (CommandError, RevisionError) as error:
        folders = [MIGRATIONS / "versions", *skill_folders]
        unknown = _applied(connection) - known_revisions(folders)
        if not unknown:
            raise
        raise StorageError(
            "The database holds the tables of a skill that is not loaded any more (migration "
            f"{', '.join(sorted(unknown))}): put the skill back in [skills] plugins, or restore "
            "a backup from before it was added."
        ) from error


@contextmanager
def _one_transaction(connection: Connection) -> Iterator[None]:
    """The whole upgrade commits or rolls back as one.

    On SQLite, foreign keys are off meanwhile: a migration that rebuilds a table (batch mode)
    drops the old one, and with them on that drop would delete every child row by cascade.
    The rows are checked before the commit instead, and foreign keys are back on afterwards.
    """
    if connection.dialect.name != "sqlite":
        with connection.begin():
            yield
        return
    connection.exec_driver_sql("PRAGMA foreign_keys=OFF")  # ignored inside a transaction
    connection.exec_driver_sql("BEGIN")  # sqlite3 opens none before DDL: those would stick
    try:
        yield
        orphans = connection.exec_driver_sql("PRAGMA foreign_key_check").fetchall()
        if orphans:
            tables = ", ".join(sorted({str(row[0]) for row in orphans}))
            raise StorageError(
                f"Upgrading the database would leave rows of {tables} pointing at rows that do "
                "not exist, so nothing was changed: keep your backup and report this."
            )
        connection.commit()
    except BaseException:
        connection.rollback()
        raise
    finally:
        connection.exec_driver_sql("PRAGMA foreign_keys=ON")
        connection.commit()


def _applied(connection: Connection) -> frozenset[str]:
    rows = connection.exec_driver_sql("SELECT version_num FROM alembic_version")
    return frozenset(str(row[0]) for row in rows)


def _fault_or(error: Exception, path: Path) -> Exception:
    """The one-sentence storage fault behind `error`, or `error` itself when it is none."""
    return storage_fault(error, path) or error


async def pending_migrations(engine: AsyncEngine, skill_folders: Sequence[Path] = ()) -> list[str]:
    """Revisions the database still lacks (empty when it is up to date)."""
    from alembic.runtime.migration import MigrationContext
    from alembic.script import ScriptDirectory

    def check(connection: Connection) -> list[str]:
        script = ScriptDirectory.from_config(_alembic_config(connection, skill_folders))
        applied: set[str] = set()
        for head in MigrationContext.configure(connection).get_current_heads():
            applied.update(rev.revision for rev in script.iterate_revisions(head, "base"))
        return [rev.revision for rev in script.walk_revisions() if rev.revision not in applied]

    async with engine.connect() as connection:
        return await connection.run_sync(check)
