"""The skill's life: the SSH connections are opened on demand and closed at shutdown."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Mapping
from pathlib import Path
from typing import TYPE_CHECKING

from pydantic import SecretStr

from bot.services import SkillServices
from skills.ssh.catalog import SshSettings

if TYPE_CHECKING:
    from skills.ssh.connections import SshPool


@contextlib.asynccontextmanager
async def open_pool(
    services: SkillServices, secrets: Mapping[str, SecretStr]
) -> AsyncIterator[SshPool | None]:
    """Reads Gepeto's client key (named by the environment) once; the pool closes at the end.

    With no host configured there is nothing to connect to, and asyncssh is not even imported.
    """
    catalog = services.settings_as(SshSettings)
    if not catalog.hosts:
        yield None
        return
    import asyncssh

    from skills.ssh.connections import SshPool

    key: asyncssh.SSHKey | None = None
    key_file = secrets.get(catalog.key_file_env)
    if catalog.hosts and key_file is None:
        services.log.warning(
            "ssh: %s is not set, so no action can run on %s",
            catalog.key_file_env,
            ", ".join(catalog.hosts),
        )
    elif key_file is not None:
        path = Path(key_file.get_secret_value())
        try:
            key = await asyncio.to_thread(asyncssh.read_private_key, path)
        except (OSError, asyncssh.KeyImportError) as error:
            services.log.warning("ssh: cannot read the key file %s: %s", path, error)
    pool = SshPool(catalog, key, services.log)
    try:
        yield pool
    finally:
        await pool.aclose()
