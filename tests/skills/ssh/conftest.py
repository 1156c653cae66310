"""A household with a NAS: a real SSH server on loopback, Gepeto's key, the catalog in bot.toml."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path

import asyncssh
import pytest

from bot.config import Config, load_config
from skills.ssh.catalog import SshSettings
from skills.ssh.forced import authorized_keys_line, checker_program
from tests.skills.ssh.machine import FamilyMachine, family_machine
from tests.support.home import write_bot_toml

CATALOG = """
[skills.ssh.hosts.nas]
address = "127.0.0.1"
port = {port}
user = "gepeto"
host_key = "{host_key}"

[skills.ssh.hosts.nas.actions.disk_usage]
description = "How full the disks are"
risk = "read"
argv = ["df", "-P", "/"]
phrases = ["how full is the nas?", "wie voll ist das nas"]

[skills.ssh.hosts.nas.actions.restart_service]
description = "Restart a service"
risk = "sensitive"
argv = ["echo", "restarted", "{{service}}"]
args.service = {{ kind = "choice", values = ["jellyfin", "nextcloud"] }}
phrases = ["restart {{service}} on the nas", "starte {{service}} neu"]

[skills.ssh.hosts.nas.actions.reboot]
description = "Reboot the NAS"
risk = "critical"
argv = ["echo", "rebooting"]

[skills.ssh.hosts.nas.actions.show_word]
description = "Say a word back"
risk = "read"
argv = ["echo", "{{word}}"]
args.word = {{ kind = "text" }}

[skills.ssh.hosts.nas.actions.count]
description = "Count up"
risk = "read"
argv = ["seq", "1", "{{upto}}"]
args.upto = {{ kind = "number", min = 1, max = 100000 }}
output_limit = 200

[skills.ssh.hosts.nas.actions.wait]
description = "Wait a while"
risk = "read"
argv = ["sleep", "{{seconds}}"]
args.seconds = {{ kind = "number", min = 1, max = 60 }}
timeout_s = 0.5
"""


@dataclass(frozen=True)
class Keys:
    client: asyncssh.SSHKey
    client_file: Path
    host: asyncssh.SSHKey
    checker: Path


@pytest.fixture
def keys(tmp_path: Path) -> Keys:
    """Gepeto's key on disk, the NAS's host key, and where the checker lives on the NAS."""
    client = asyncssh.generate_private_key("ssh-ed25519")
    client_file = tmp_path / "gepeto_key"
    client_file.write_bytes(client.export_private_key())
    client_file.chmod(0o600)
    host = asyncssh.generate_private_key("ssh-ed25519")
    return Keys(client, client_file, host, tmp_path / "nas" / "gepeto-ssh-check")


@pytest.fixture
async def machine(keys: Keys) -> AsyncIterator[FamilyMachine]:
    """The NAS, with Gepeto's key allowed to run only the checker."""
    line = authorized_keys_line(keys.client, "nas", str(keys.checker))
    async with family_machine(line, keys.host) as nas:
        yield nas


def write_household(directory: Path, port: int, host_key: asyncssh.SSHKey, checker: Path) -> Path:
    """bot.toml with the NAS catalog, and the NAS's checker installed from that catalog."""
    path = write_bot_toml(directory, catalog_toml(port, host_key))
    install_checker(path, checker)
    return path


def catalog_toml(port: int, host_key: asyncssh.SSHKey) -> str:
    return CATALOG.format(port=port, host_key=host_key.export_public_key().decode().strip())


def install_checker(path: Path, checker: Path) -> None:
    """Puts the checker for the NAS of this bot.toml where the NAS's authorized_keys says."""
    catalog = SshSettings.model_validate(
        load_config(path, environ={}).settings.skills.sections()["ssh"]
    )
    checker.parent.mkdir(exist_ok=True)
    checker.write_text(checker_program(catalog.hosts["nas"]), encoding="utf-8")
    checker.chmod(0o755)


@pytest.fixture
def bot_toml(tmp_path: Path, machine: FamilyMachine, keys: Keys) -> Path:
    return write_household(tmp_path, machine.port, keys.host, keys.checker)


@pytest.fixture
def config(bot_toml: Path, keys: Keys) -> Config:
    return load_config(bot_toml, environ={"SSH_KEY_FILE": str(keys.client_file)})
