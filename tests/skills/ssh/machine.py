"""A family machine for tests: asyncssh's own SSH server on loopback, acting like OpenSSH's sshd.

It accepts only the client key of its `authorized_keys` line and, like sshd with
`command="…"`, runs that forced command through `/bin/sh -c` with what the client asked for in
`SSH_ORIGINAL_COMMAND`. Every request it received is kept in `executed`: the machine's own log.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import re
import signal
from collections.abc import AsyncIterator
from dataclasses import dataclass, field

import asyncssh

FORCED_COMMAND = re.compile(r'(?:^|,)command="([^"]*)"')


@dataclass(frozen=True)
class Executed:
    """One command the machine was asked to run: what arrived, and how it ended."""

    requested: str | None
    exit_status: int
    killed: bool


@dataclass
class FamilyMachine:
    authorized_line: str
    host_key: asyncssh.SSHKey
    executed: list[Executed] = field(default_factory=list)
    port: int = 0
    connections: int = 0
    """How many SSH connections were made to it (a warm pool makes one)."""
    _changed: asyncio.Event = field(default_factory=asyncio.Event)
    _server: asyncssh.SSHAcceptor | None = None

    async def start(self) -> None:
        """Listens on loopback (on the same port again after a restart)."""
        self._server = await asyncssh.create_server(
            lambda: _Server(self),
            "127.0.0.1",
            self.port,
            server_host_keys=[self.host_key],
            encoding=None,
        )
        self.port = self._server.sockets[0].getsockname()[1]

    async def stop(self) -> None:
        if self._server is not None:
            self._server.close()
            await self._server.wait_closed()
            self._server = None

    async def restart(self) -> None:
        """Comes back with whatever host key it holds now (reinstalled, or an impostor)."""
        await self.stop()
        await self.start()

    @property
    def forced_command(self) -> str:
        found = FORCED_COMMAND.search(self.authorized_line.split(" ", 1)[0])
        assert found is not None, 'the authorized_keys line has no command="…"'
        return found[1]

    @property
    def client_key(self) -> asyncssh.SSHKey:
        words = self.authorized_line.split()
        return asyncssh.import_public_key(f"{words[1]} {words[2]}")

    def record(self, executed: Executed) -> None:
        self.executed.append(executed)
        self._changed.set()

    async def wait_for_runs(self, count: int) -> list[Executed]:
        """The log once it holds `count` entries (the server finishes a run after replying)."""
        async with asyncio.timeout(10):
            while len(self.executed) < count:
                self._changed.clear()
                await self._changed.wait()
        return list(self.executed)


class _Server(asyncssh.SSHServer):
    def __init__(self, machine: FamilyMachine) -> None:
        self._machine = machine

    def connection_made(self, conn: asyncssh.SSHServerConnection) -> None:
        self._machine.connections += 1

    def begin_auth(self, username: str) -> bool:
        return True

    def public_key_auth_supported(self) -> bool:
        return True

    def validate_public_key(self, username: str, key: asyncssh.SSHKey) -> bool:
        return username == "gepeto" and key == self._machine.client_key

    def session_requested(self) -> asyncssh.SSHServerSession[bytes]:
        return _ForcedCommandSession(self._machine)


class _ForcedCommandSession(asyncssh.SSHServerSession[bytes]):
    """One session: the forced command with SSH_ORIGINAL_COMMAND, output back, then exit."""

    def __init__(self, machine: FamilyMachine) -> None:
        self._machine = machine
        self._requested: str | None = None
        self._channel: asyncssh.SSHServerChannel[bytes] | None = None
        self._process: asyncio.subprocess.Process | None = None
        self._task: asyncio.Task[None] | None = None
        self._killed = False

    def connection_made(self, chan: asyncssh.SSHServerChannel[bytes]) -> None:  # type: ignore[override]
        self._channel = chan

    def exec_requested(self, command: str) -> bool:
        self._requested = command
        return True

    def shell_requested(self) -> bool:
        return True

    def eof_received(self) -> bool:
        return True  # like sshd: the command keeps running after the client's end of input

    def session_started(self) -> None:
        self._task = asyncio.get_running_loop().create_task(self._run())

    def signal_received(self, signal_name: str) -> None:
        self._kill()

    def connection_lost(self, exc: Exception | None) -> None:
        self._kill()

    def _kill(self) -> None:
        if self._process is not None and self._process.returncode is None:
            self._killed = True
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self._process.pid, signal.SIGKILL)

    async def _run(self) -> None:
        assert self._channel is not None
        environment = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "LC_ALL": "C"}
        if self._requested is not None:
            environment["SSH_ORIGINAL_COMMAND"] = self._requested
        self._process = await asyncio.create_subprocess_exec(
            "/bin/sh",
            "-c",
            self._machine.forced_command,
            env=environment,
            stdin=asyncio.subprocess.DEVNULL,
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.STDOUT,
            start_new_session=True,
        )
        assert self._process.stdout is not None
        while chunk := await self._process.stdout.read(4096):
            with contextlib.suppress(asyncssh.Error, OSError):
                self._channel.write(chunk)
        status = await self._process.wait()
        self._machine.record(Executed(self._requested, status, self._killed))
        with contextlib.suppress(asyncssh.Error, OSError):
            if status < 0:
                self._channel.exit_with_signal(signal.Signals(-status).name.removeprefix("SIG"))
            else:
                self._channel.exit(status)


@contextlib.asynccontextmanager
async def family_machine(
    authorized_line: str, host_key: asyncssh.SSHKey
) -> AsyncIterator[FamilyMachine]:
    """The machine listening on a free loopback port until the block ends."""
    machine = FamilyMachine(authorized_line, host_key)
    await machine.start()
    try:
        yield machine
    finally:
        await machine.stop()
