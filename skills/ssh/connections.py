"""One kept-alive SSH connection per family machine, opened only to its pinned host key."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import shlex
import time
from dataclasses import dataclass

import asyncssh

from skills.ssh.catalog import Host, SshSettings, pinned_key

READ_CHUNK = 4096


class HostKeyRefused(Exception):
    """The machine showed a host key other than the pinned one: nobody gets connected."""

    def __init__(self, host: str, offered: str | None) -> None:
        super().__init__(f"{host}: host key {offered or 'unknown'} is not the pinned one")
        self.host = host
        self.offered = offered


class HostUnreachable(Exception):
    """The machine did not answer, refused the login, or dropped the connection."""


@dataclass(frozen=True)
class Finished:
    """How a command ended on the machine, with (at most the cap of) what it printed."""

    output: str
    truncated: bool
    exit_status: int | None
    signal: str | None
    timed_out: bool
    seconds: float

    @property
    def succeeded(self) -> bool:
        return self.exit_status == 0 and not self.timed_out


class _PinnedHostKey(asyncssh.SSHClient):
    """Accepts exactly the pinned key and remembers what the machine offered otherwise."""

    def __init__(self, fingerprint: str) -> None:
        self.fingerprint = fingerprint
        self.offered: str | None = None

    def validate_host_public_key(
        self, host: str, addr: str, port: int, key: asyncssh.SSHKey
    ) -> bool:
        self.offered = key.get_fingerprint("sha256")
        return self.offered == self.fingerprint


class SshPool:
    """Opens each machine's connection on first use and reuses it; closed at shutdown."""

    def __init__(
        self, settings: SshSettings, client_key: asyncssh.SSHKey | None, log: logging.Logger
    ) -> None:
        self._settings = settings
        self._client_key = client_key
        self._log = log
        self._open: dict[str, asyncssh.SSHClientConnection] = {}
        self._locks: dict[str, asyncio.Lock] = {}

    @property
    def has_key(self) -> bool:
        return self._client_key is not None

    async def run(self, host: str, argv: list[str], timeout_s: float, limit: int) -> Finished:
        """Runs one argv (quoted with shlex.join, never through `sh -c`) and waits for it."""
        command = shlex.join(argv)
        connection = await self._connection(host)
        started = time.perf_counter()
        try:
            process = await connection.create_process(
                command, stderr=asyncssh.STDOUT, encoding="utf-8", errors="replace"
            )
        except (asyncssh.Error, OSError) as error:
            self._forget(host, connection)
            raise HostUnreachable(f"{host}: could not start the command: {error}") from error
        process.stdin.write_eof()
        kept: list[str] = []
        size = 0
        truncated = False
        timed_out = False
        try:
            async with asyncio.timeout(timeout_s):
                while chunk := await process.stdout.read(READ_CHUNK):
                    if size < limit:
                        kept.append(chunk[: limit - size])
                    truncated = truncated or size + len(chunk) > limit
                    size += len(chunk)
                await process.wait_closed()
        except TimeoutError:
            timed_out = True
            self._log.warning("%s: %s ran past %.1f s; stopping it", host, argv[0], timeout_s)
            self._stop(process)
        return Finished(
            output="".join(kept),
            truncated=truncated,
            exit_status=None if timed_out else process.exit_status,
            signal=None if timed_out or not process.exit_signal else process.exit_signal[0],
            timed_out=timed_out,
            seconds=time.perf_counter() - started,
        )

    @staticmethod
    def _stop(process: asyncssh.SSHClientProcess[str]) -> None:
        """Kills the remote command (the SSH `signal` request), then closes its channel."""
        with contextlib.suppress(asyncssh.Error, OSError):
            process.send_signal("KILL")
        process.close()

    async def _connection(self, host: str) -> asyncssh.SSHClientConnection:
        lock = self._locks.setdefault(host, asyncio.Lock())
        async with lock:
            connection = self._open.get(host)
            if connection is not None and not connection.is_closed():
                return connection
            connection = await self._connect(host, self._settings.hosts[host])
            self._open[host] = connection
            return connection

    async def _connect(self, name: str, host: Host) -> asyncssh.SSHClientConnection:
        if self._client_key is None:
            raise HostUnreachable(f"{name}: Gepeto has no SSH key")
        fingerprint, key = pinned_key(host.host_key)
        pinned = _PinnedHostKey(fingerprint)
        try:
            connection, _ = await asyncssh.create_connection(
                lambda: pinned,
                host.address,
                host.port,
                username=host.user,
                known_hosts=([key] if key else [], [], []),
                client_keys=[self._client_key],
                agent_path=None,
                config=[],
                preferred_auth="publickey",
                connect_timeout=self._settings.connect_timeout_s,
                login_timeout=self._settings.connect_timeout_s,
                keepalive_interval=self._settings.keepalive_s,
                keepalive_count_max=3,
            )
        except asyncssh.HostKeyNotVerifiable as error:
            raise HostKeyRefused(name, pinned.offered) from error
        except (asyncssh.Error, OSError, TimeoutError) as error:
            raise HostUnreachable(f"{name}: {error}") from error
        self._log.info("connected to %s (%s:%s)", name, host.address, host.port)
        return connection

    def _forget(self, host: str, connection: asyncssh.SSHClientConnection) -> None:
        if self._open.get(host) is connection:
            del self._open[host]
        connection.close()

    async def aclose(self) -> None:
        connections = list(self._open.values())
        self._open.clear()
        for connection in connections:
            connection.close()
        for connection in connections:
            await connection.wait_closed()
