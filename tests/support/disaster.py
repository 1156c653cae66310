"""The disk is gone: what a restore drill destroys before it restores."""

from __future__ import annotations

import shutil

from sqlalchemy import text

from bot.config import Config
from storage.database import create_engine
from storage.dumps import is_postgres


async def lose_everything(config: Config) -> None:
    """Deletes the data dir and the vault, and empties the PostgreSQL database if it is one."""
    shutil.rmtree(config.settings.storage.data_dir)
    shutil.rmtree(config.settings.vault.path)
    url = config.settings.storage.resolved_database_url()
    if is_postgres(url):
        engine = create_engine(url)
        try:
            async with engine.begin() as connection:
                await connection.execute(text("DROP SCHEMA public CASCADE"))
                await connection.execute(text("CREATE SCHEMA public"))
        finally:
            await engine.dispose()
