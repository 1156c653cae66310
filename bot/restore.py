"""`gepeto restore ARCHIVE`: a household back from a backup, checked before anything is touched.

The archive is unpacked beside the data dir and every file checked against the manifest's
hashes; only then is the data dir (and, when the notes were copied, the vault) put in place.
A data dir, vault or PostgreSQL database that already holds something is refused unless
`--force`, and then kept aside, not deleted. The database is migrated forward to this
version's schema; the search index, never backed up, is rebuilt when Gepeto starts.
"""

from __future__ import annotations

import asyncio
import json
import shutil
import tarfile
import tempfile
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from sqlalchemy import inspect, text
from sqlalchemy.ext.asyncio import AsyncEngine

from bot.backup import FORMAT, MANIFEST, files_under, sha256_of
from bot.config import Config, Settings
from bot.instance import running_on
from bot.skills import load_skills, migration_folders
from storage import dumps
from storage.database import create_engine, upgrade

ASIDE_STAMP = "%Y%m%d-%H%M%S"


class RestoreError(Exception):
    """The backup cannot be restored here; the message says why and what to do."""


@dataclass(frozen=True)
class RestoreReport:
    taken_at: str
    rows: int
    files: int
    kept_aside: tuple[str, ...]
    vault_differences: tuple[str, ...]
    """With a manifest-only vault: notes that differ from the backup's (missing or changed)."""


async def restore(config: Config, archive: Path, now: datetime, force: bool) -> RestoreReport:
    """Verifies the archive, puts the household in place and migrates it to this version."""
    settings = config.settings
    url = settings.storage.resolved_database_url()
    on_postgres = dumps.is_postgres(url)
    tables = await _postgres_tables(url) if on_postgres else []
    work, manifest = await asyncio.to_thread(_unpack_and_verify, archive, settings)
    try:
        database = manifest["database"]
        if (database["kind"] == "postgresql") != on_postgres:
            raise RestoreError(
                f"This backup holds a {database['kind']} database but storage.database_url "
                "points at another kind: restore it as it was taken, then use "
                "`gepeto db migrate-to URL` to move it."
            )
        copied_vault = manifest["vault"]["mode"] == "copy"
        stamp = now.strftime(ASIDE_STAMP)
        aside = await asyncio.to_thread(
            _clear_the_way, settings, copied_vault, bool(tables), force, stamp
        )
        if tables:
            aside.append(await _postgres_aside(url, stamp))
        await asyncio.to_thread(_put_files, work, settings, copied_vault, url, database["file"])
        if on_postgres:
            await asyncio.to_thread(dumps.load_postgres, url, work / database["file"])
        engine = create_engine(url)
        try:
            await _check_rows(engine, database["rows"])
            await upgrade(engine, migration_folders(load_skills(settings.skills.plugins)))
        finally:
            await engine.dispose()
    finally:
        await asyncio.to_thread(shutil.rmtree, work, True)
    differences: tuple[str, ...] = ()
    if not copied_vault:
        notes = manifest["vault"]["notes"]
        differences = await asyncio.to_thread(_vault_differences, settings.vault.path, notes)
    return RestoreReport(
        taken_at=str(manifest["taken_at"]),
        rows=sum(database["rows"].values()),
        files=len(manifest["files"]),
        kept_aside=tuple(aside),
        vault_differences=differences,
    )


def _unpack_and_verify(archive: Path, settings: Settings) -> tuple[Path, dict[str, Any]]:
    """Unpacks beside the data dir (the same disk: moving into place is a rename)."""
    if not archive.is_file():
        raise RestoreError(f"There is no backup at {archive}.")
    parent = settings.storage.data_dir.parent
    parent.mkdir(parents=True, exist_ok=True)
    into = Path(tempfile.mkdtemp(prefix=".gepeto-restore-", dir=parent))
    try:
        return into, _verified(archive, into)
    except BaseException:
        shutil.rmtree(into, ignore_errors=True)
        raise


def _verified(archive: Path, into: Path) -> dict[str, Any]:
    try:
        with tarfile.open(archive, "r") as tar:
            tar.extractall(into, filter="data")
        manifest: dict[str, Any] = json.loads((into / MANIFEST).read_text(encoding="utf-8"))
    except (OSError, tarfile.TarError, ValueError) as error:
        raise RestoreError(
            f"{archive} is not a readable Gepeto backup ({error}); nothing was changed."
        ) from error
    if manifest.get("format") != FORMAT:
        raise RestoreError(
            f"{archive} was written in backup format {manifest.get('format')}, which this "
            "version of Gepeto does not read; nothing was changed."
        )
    expected: dict[str, dict[str, Any]] = manifest["files"]
    found = {path.relative_to(into).as_posix(): path for path in files_under(into)}
    found.pop(MANIFEST, None)
    wrong = sorted(
        name
        for name in set(expected) | set(found)
        if name not in found
        or name not in expected
        or sha256_of(found[name]) != expected[name]["sha256"]
    )
    if wrong:
        raise RestoreError(
            f"{archive} is damaged: {len(wrong)} file(s) do not match the manifest (first: "
            f"{wrong[0]}); nothing was changed — try an older backup."
        )
    return manifest


def _occupied(folder: Path) -> bool:
    return folder.exists() and any(folder.iterdir())


def _clear_the_way(
    settings: Settings, vault_too: bool, database_in_use: bool, force: bool, stamp: str
) -> list[str]:
    """Refuses a household in the way, or with `force` moves its folders aside; says where."""
    data_dir = settings.storage.data_dir
    folders = [data_dir, settings.vault.path] if vault_too else [data_dir]
    in_the_way = [folder for folder in folders if _occupied(folder)]
    if (in_the_way or database_in_use) and not force:
        names = [str(folder) for folder in in_the_way]
        names += ["the PostgreSQL database"] if database_in_use else []
        places = " and ".join(names)
        hold = "hold" if len(names) > 1 else "holds"
        raise RestoreError(
            f"{places[:1].upper()}{places[1:]} already {hold} a household: restore into an "
            "empty place, or add --force to keep the current one aside and restore over it."
        )
    holder = running_on(data_dir)
    if holder is not None:
        raise RestoreError(f"Gepeto is running on {data_dir} (PID {holder}): stop it first.")
    aside = []
    for folder in in_the_way:
        moved = folder.with_name(f"{folder.name}.before-restore-{stamp}")
        folder.rename(moved)
        aside.append(str(moved))
    return aside


async def _postgres_aside(url: str, stamp: str) -> str:
    """Renames the current schema (kept, not dropped) and starts an empty one."""
    schema = f"before_restore_{stamp.replace('-', '_')}"
    engine = create_engine(url)
    try:
        async with engine.begin() as connection:
            await connection.execute(text(f'ALTER SCHEMA public RENAME TO "{schema}"'))
            await connection.execute(text("CREATE SCHEMA public"))
    finally:
        await engine.dispose()
    return f"PostgreSQL schema {schema}"


async def _postgres_tables(url: str) -> list[str]:
    engine = create_engine(url)
    try:
        async with engine.connect() as connection:
            return await connection.run_sync(lambda sync: inspect(sync).get_table_names())
    finally:
        await engine.dispose()


def _put_files(
    unpacked: Path, settings: Settings, vault_too: bool, url: str, database: str
) -> None:
    data_dir = settings.storage.data_dir
    _place(unpacked / "data", data_dir)
    if vault_too:
        _place(unpacked / "vault", settings.vault.path)
    if not dumps.is_postgres(url):
        target = dumps.sqlite_path(url)
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(unpacked / database, target)


def _place(source: Path, target: Path) -> None:
    """Moves a restored folder into place (into an existing empty one: a mount point, say)."""
    if source.is_dir() and not target.exists():
        source.rename(target)
        return
    target.mkdir(parents=True, exist_ok=True)
    if source.is_dir():
        _merge(source, target)


def _merge(source: Path, target: Path) -> None:
    for path in files_under(source):
        copy = target / path.relative_to(source)
        copy.parent.mkdir(parents=True, exist_ok=True)
        path.replace(copy)


async def _check_rows(engine: AsyncEngine, expected: dict[str, int]) -> None:
    """The restored database holds exactly the rows the backup counted."""

    def count(sync: Any) -> dict[str, int]:
        return {
            table: int(sync.execute(text(f'SELECT count(*) FROM "{table}"')).scalar_one())
            for table in expected
        }

    async with engine.connect() as connection:
        found = await connection.run_sync(count)
    wrong = sorted(table for table in expected if found[table] != expected[table])
    if wrong:
        raise RestoreError(
            "The restored database does not hold the rows the backup counted "
            f"({', '.join(wrong)}): keep the archive and report this."
        )


def _vault_differences(root: Path, notes: dict[str, str]) -> tuple[str, ...]:
    return tuple(
        sorted(
            name
            for name, digest in notes.items()
            if not (root / name).is_file() or sha256_of(root / name) != digest
        )
    )
