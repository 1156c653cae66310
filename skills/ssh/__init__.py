"""Allowlisted SSH actions: named buttons for the family's machines, never a shell string."""

from __future__ import annotations

import dataclasses

from pydantic import BaseModel

from bot.skills import Skill
from skills.ssh.catalog import SshSettings
from skills.ssh.commands import SSH
from skills.ssh.phrases import catalog_intents
from skills.ssh.setup import open_pool
from skills.ssh.tools import run_tool

KEYWORDS = ("ssh", "server", "machine", "nas", "restart", "reboot", "disk", "docker", "service")


def configure(settings: BaseModel) -> Skill:
    """This family's skill: its catalog's `ssh.run` (none without machines), phrases, key."""
    catalog = settings if isinstance(settings, SshSettings) else SshSettings()
    words = {*KEYWORDS, *catalog.hosts}
    words.update(name for host in catalog.hosts.values() for name in host.actions)
    return dataclasses.replace(
        SKILL,
        tools=(run_tool(catalog),) if catalog.hosts else (),
        intents=tuple(catalog_intents(catalog)),
        secrets=(catalog.key_file_env,),
        keywords=tuple(sorted(words)),
    )


SKILL = Skill(
    name="ssh",
    tools=(run_tool(SshSettings()),),
    settings=SshSettings,
    secrets=("SSH_KEY_FILE",),
    commands=(SSH,),
    setup=open_pool,
    configure=configure,
    keywords=KEYWORDS,
)
