"""`gepeto backup`: one consistent, timestamped archive of a household, taken while it runs.

The archive is a plain tar (no compression, so restic and rclone can deduplicate it) holding

- `database/gepeto.db` (SQLite's online backup) or `database/gepeto.sql` (`pg_dump`),
- `data/…`: the rest of the data dir — the Matrix key store, skills' files — without the
  search index (rebuilt from the vault), downloaded media, logs and lock files,
- `vault/…`: the notes (or, with `[backup] vault = "manifest"`, only their hashes),
- `config/bot.toml`: the settings, with any secret value blanked (secrets live in the
  environment or .env, which is never copied),
- `manifest.json`: versions, schema heads, row counts and the SHA-256 of every file.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import os
import platform
import shutil
import sqlite3
import tarfile
import tempfile
import time
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path
from typing import Any

from sqlalchemy.engine import make_url

from bot.config import BackupSettings, Config
from storage import dumps

FORMAT = 1
MANIFEST = "manifest.json"
NAME_PREFIX = "gepeto-"
NAME_SUFFIX = ".tar"
STAMP = "%Y%m%dT%H%M%SZ"
CHUNK = 1024 * 1024
NOT_KEPT = frozenset({"index", "media", "gepeto.pid", "heartbeat"})
"""Data-dir entries a restore does without: rebuilt, re-downloaded or written at start."""
NOT_KEPT_SUFFIXES = ("-wal", "-shm", "-journal", ".seen", ".log", ".log.1", ".partial")
BLANKED = "<secret: set it in the environment>"


class BackupError(Exception):
    """A backup could not be taken; the message says why in one sentence."""


@dataclass(frozen=True)
class BackupPlan:
    """Everything a backup reads, taken from the configuration once."""

    data_dir: Path
    vault: Path
    config_file: Path | None
    settings: BackupSettings
    database_url: str = field(repr=False)
    secrets: tuple[str, ...] = field(default=(), repr=False)

    @classmethod
    def of(cls, config: Config) -> BackupPlan:
        settings = config.settings
        url = settings.storage.resolved_database_url()
        secrets = [*config.secrets.values()]
        password = make_url(url).password
        if password:
            secrets.append(str(password))
        source = config.source if config.source and config.source.is_file() else None
        return cls(
            data_dir=settings.storage.data_dir,
            vault=settings.vault.path,
            config_file=source,
            settings=settings.backup,
            database_url=url,
            secrets=tuple(secrets),
        )


@dataclass(frozen=True)
class BackupReport:
    archive: Path
    size: int
    files: int
    seconds: float
    pruned: tuple[Path, ...] = ()


def archive_name(when: datetime) -> str:
    return f"{NAME_PREFIX}{when.astimezone(UTC).strftime(STAMP)}{NAME_SUFFIX}"


def taken_at(archive: Path) -> datetime | None:
    """When an archive in the backup folder was taken, read from its name."""
    name = archive.name
    if not (name.startswith(NAME_PREFIX) and name.endswith(NAME_SUFFIX)):
        return None
    stamp = name[len(NAME_PREFIX) : -len(NAME_SUFFIX)].split("-")[0]
    try:
        return datetime.strptime(stamp, STAMP).replace(tzinfo=UTC)
    except ValueError:
        return None


def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        while chunk := handle.read(CHUNK):
            digest.update(chunk)
    return digest.hexdigest()


def files_under(root: Path) -> Iterator[Path]:
    """Regular files below `root`, in a stable order (links and sockets are not data)."""
    for folder, folders, names in os.walk(root):
        folders.sort()
        for name in sorted(names):
            path = Path(folder) / name
            if path.is_file() and not path.is_symlink():
                yield path


async def take_backup(plan: BackupPlan, now: datetime, to: Path | None = None) -> BackupReport:
    """Writes the archive into `to` (default `[backup] folder`) without stopping the bot."""
    return await asyncio.to_thread(_take, plan, now, to or plan.settings.folder)


def _take(plan: BackupPlan, now: datetime, folder: Path) -> BackupReport:
    started = time.perf_counter()
    try:
        folder.mkdir(parents=True, exist_ok=True)
        target = _free_name(folder, archive_name(now))
        with tempfile.TemporaryDirectory(prefix=".gepeto-backup-", dir=folder) as staging:
            stage = Path(staging)
            manifest = _stage(plan, stage, folder, now)
            count = len(manifest["files"])
            partial = folder / f".{target.name}.partial"
            with tarfile.open(partial, "w", format=tarfile.PAX_FORMAT) as archive:
                for path in sorted(stage.rglob("*")):
                    if path.is_file():
                        archive.add(path, arcname=path.relative_to(stage).as_posix())
            with partial.open("rb") as written:
                os.fsync(written.fileno())
            partial.replace(target)
    except (OSError, sqlite3.Error, tarfile.TarError) as error:
        raise BackupError(
            f"The backup into {folder} failed ({error.__class__.__name__}: {error}): check that "
            "the folder is writable and the disk has room."
        ) from error
    except dumps.DumpError as error:
        raise BackupError(str(error)) from error
    return BackupReport(target, target.stat().st_size, count, time.perf_counter() - started)


def _free_name(folder: Path, name: str) -> Path:
    target = folder / name
    number = 2
    while target.exists():
        target = folder / name.replace(NAME_SUFFIX, f"-{number}{NAME_SUFFIX}")
        number += 1
    return target


def _stage(plan: BackupPlan, stage: Path, backup_folder: Path, now: datetime) -> dict[str, Any]:
    """Copies everything into `stage` and writes the manifest there; returns it."""
    database = _stage_database(plan.database_url, stage / "database")
    skip = {backup_folder.resolve()}
    if not dumps.is_postgres(plan.database_url):
        skip.add(dumps.sqlite_path(plan.database_url).resolve())
    _copy_tree(plan.data_dir, stage / "data", _kept(plan.data_dir, skip))
    vault: dict[str, Any] = {"mode": plan.settings.vault}
    if plan.settings.vault == "copy":
        _copy_tree(
            plan.vault, stage / "vault", files_under(plan.vault) if plan.vault.is_dir() else []
        )
    else:
        vault["notes"] = {
            path.relative_to(plan.vault).as_posix(): sha256_of(path)
            for path in (files_under(plan.vault) if plan.vault.is_dir() else [])
        }
    if plan.config_file is not None:
        config = plan.config_file.read_text(encoding="utf-8")
        for secret in plan.secrets:
            config = config.replace(secret, BLANKED)
        (stage / "config").mkdir()
        (stage / "config" / "bot.toml").write_text(config, encoding="utf-8")
    manifest = {
        "format": FORMAT,
        "taken_at": now.astimezone(UTC).isoformat(),
        "versions": _versions(),
        "database": database,
        "vault": vault,
        "files": {
            path.relative_to(stage).as_posix(): {
                "sha256": sha256_of(path),
                "bytes": path.stat().st_size,
            }
            for path in files_under(stage)
        },
    }
    (stage / MANIFEST).write_text(json.dumps(manifest, indent=1, sort_keys=True), encoding="utf-8")
    return manifest


def _stage_database(url: str, folder: Path) -> dict[str, Any]:
    if dumps.is_postgres(url):
        target = folder / dumps.POSTGRES_DUMP
        dumps.dump_postgres(url, target)
        facts = dumps.postgres_facts(target)
        kind = "postgresql"
    else:
        source = dumps.sqlite_path(url)
        if not source.is_file():
            raise BackupError(f"There is no database at {source} to back up yet.")
        target = folder / dumps.SQLITE_DUMP
        dumps.copy_sqlite(source, target)
        facts = dumps.sqlite_facts(target)
        kind = "sqlite"
    return {
        "kind": kind,
        "file": f"database/{target.name}",
        "heads": list(facts.heads),
        "rows": facts.rows,
    }


def _kept(data_dir: Path, skip: set[Path]) -> Iterator[Path]:
    if not data_dir.is_dir():
        return
    for path in files_under(data_dir):
        relative = path.relative_to(data_dir)
        if relative.parts[0] in NOT_KEPT or path.name.endswith(NOT_KEPT_SUFFIXES):
            continue
        resolved = path.resolve()
        if resolved in skip or any(folder in resolved.parents for folder in skip):
            continue
        yield path


def _copy_tree(root: Path, target: Path, paths: Iterable[Path]) -> None:
    """Copies files, SQLite ones (the Matrix key store) through the online backup API."""
    for path in paths:
        copy = target / path.relative_to(root)
        copy.parent.mkdir(parents=True, exist_ok=True)
        try:
            if dumps.is_sqlite_file(path):
                dumps.copy_sqlite(path, copy)
            else:
                shutil.copy2(path, copy)
        except FileNotFoundError:
            continue  # deleted while we were copying: it was not there at the snapshot either


def _versions() -> dict[str, str]:
    try:
        gepeto = version("gepeto")
    except PackageNotFoundError:
        gepeto = "unknown"
    return {
        "gepeto": gepeto,
        "python": platform.python_version(),
        "sqlite": sqlite3.sqlite_version,
    }


def prune(folder: Path, keep_daily: int, keep_weekly: int) -> tuple[Path, ...]:
    """Deletes archives beyond the newest of each of the last N days and M ISO weeks."""
    archives = sorted(
        (
            (when, path)
            for path in folder.glob(f"{NAME_PREFIX}*{NAME_SUFFIX}")
            if (when := taken_at(path)) is not None
        ),
        reverse=True,
    )
    kept: set[Path] = set()
    days: list[object] = []
    weeks: list[object] = []
    for when, path in archives:
        day = when.date()
        week = when.isocalendar()[:2]
        if day not in days and len(days) < keep_daily:
            days.append(day)
            kept.add(path)
        if week not in weeks and len(weeks) < keep_weekly:
            weeks.append(week)
            kept.add(path)
    removed = tuple(path for _, path in archives if path not in kept)
    for path in removed:
        path.unlink(missing_ok=True)
    return removed
