"""A real Synapse homeserver on loopback, so the Matrix tests talk to the real protocol."""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import json
import os
import secrets
import signal
import socket
import subprocess
import time
from collections.abc import AsyncIterator, Callable, Iterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType
from typing import IO, Any, Self, TypeVar

import httpx
import nio
import pytest

REPO_ROOT = Path(__file__).resolve().parents[2]
VENV_SCRIPT = REPO_ROOT / "scripts" / "synapse-venv"
VENV_ENV_VAR = "GEPETO_SYNAPSE_VENV"
SERVER_NAME = "localhost"
LOG_TAIL_LINES = 40

# Generous enough that no test ever meets a 429 from the homeserver.
_UNLIMITED = {"per_second": 1000, "burst_count": 10000}
RATE_LIMITS: dict[str, object] = {
    "rc_message": _UNLIMITED,
    "rc_registration": _UNLIMITED,
    "rc_registration_token_validity": _UNLIMITED,
    "rc_login": {"address": _UNLIMITED, "account": _UNLIMITED, "failed_attempts": _UNLIMITED},
    "rc_admin_redaction": _UNLIMITED,
    "rc_joins": {"local": _UNLIMITED, "remote": _UNLIMITED},
    "rc_joins_per_room": _UNLIMITED,
    "rc_3pid_validation": _UNLIMITED,
    "rc_invites": {"per_room": _UNLIMITED, "per_user": _UNLIMITED, "per_issuer": _UNLIMITED},
    "rc_third_party_invite": _UNLIMITED,
    "rc_media_create": _UNLIMITED,
    "rc_presence": {"per_user": _UNLIMITED},
    "rc_delayed_event_mgmt": _UNLIMITED,
    "rc_room_creation": _UNLIMITED,
    "rc_reports": _UNLIMITED,
    "rc_user_directory": _UNLIMITED,
    "rc_profile": _UNLIMITED,
}

T = TypeVar("T")


class SynapseUnavailableError(RuntimeError):
    """Synapse could not be installed on this machine, so the Matrix tests cannot run."""


class SynapseStartError(RuntimeError):
    """Synapse did not come up; the message carries the tail of its log."""


@dataclass(frozen=True)
class MatrixAccount:
    """A user registered on the test homeserver, with the token to act as them."""

    user_id: str
    password: str
    access_token: str
    device_id: str


def synapse_venv_path() -> Path:
    """Where scripts/synapse-venv keeps Synapse's own virtualenv."""
    configured = os.environ.get(VENV_ENV_VAR)
    if configured:
        return Path(configured)
    return Path.home() / ".cache" / "gepeto" / "synapse-venv"


def ensure_synapse_venv() -> Path:
    """Install (or confirm) the pinned Synapse through scripts/synapse-venv and return its venv."""
    try:
        result = subprocess.run(
            ["bash", str(VENV_SCRIPT)],
            capture_output=True,
            text=True,
            check=False,
            timeout=600,
        )
    except (OSError, subprocess.TimeoutExpired) as error:
        raise SynapseUnavailableError(f"{VENV_SCRIPT} could not run: {error}") from error
    if result.returncode != 0:
        detail = "\n".join(result.stderr.strip().splitlines()[-LOG_TAIL_LINES:])
        raise SynapseUnavailableError(
            f"{VENV_SCRIPT} failed (exit {result.returncode}):\n{detail}"
        )
    lines = result.stdout.strip().splitlines()
    venv = Path(lines[-1]) if lines else synapse_venv_path()
    if not (venv / "bin" / "python").exists():
        raise SynapseUnavailableError(f"{VENV_SCRIPT} left no Python in {venv}")
    return venv


def free_loopback_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def homeserver_config(workdir: Path, port: int, shared_secret: str) -> dict[str, object]:
    """A loopback-only, SQLite, federation-less Synapse configuration for tests."""
    return {
        "server_name": SERVER_NAME,
        "public_baseurl": f"http://127.0.0.1:{port}/",
        "pid_file": str(workdir / "homeserver.pid"),
        "listeners": [
            {
                "port": port,
                "bind_addresses": ["127.0.0.1"],
                "type": "http",
                "tls": False,
                "x_forwarded": False,
                "resources": [{"names": ["client"], "compress": False}],
            }
        ],
        "database": {"name": "sqlite3", "args": {"database": str(workdir / "homeserver.db")}},
        "media_store_path": str(workdir / "media_store"),
        "signing_key_path": str(workdir / f"{SERVER_NAME}.signing.key"),
        "registration_shared_secret": shared_secret,
        "macaroon_secret_key": secrets.token_hex(32),
        "form_secret": secrets.token_hex(32),
        "enable_registration": False,
        "bcrypt_rounds": 4,
        "report_stats": False,
        "enable_metrics": False,
        "trusted_key_servers": [],
        "suppress_key_server_warning": True,
        "federation_domain_whitelist": [],
        "allow_public_rooms_over_federation": False,
        "presence": {"enabled": False},
        "url_preview_enabled": False,
        "enable_authenticated_media": True,
        **RATE_LIMITS,
    }


def _log_tail(log_path: Path) -> str:
    """The last lines of Synapse's log, for an error message that explains itself."""
    if not log_path.exists():
        return "(no log written)"
    lines = log_path.read_text(errors="replace").splitlines()
    return "\n".join(lines[-LOG_TAIL_LINES:])


class Synapse:
    """One Synapse process serving http://127.0.0.1:<port> from files under `workdir`."""

    def __init__(self, workdir: Path, venv: Path, *, startup_timeout: float = 60.0) -> None:
        self.workdir = workdir
        self.venv = venv
        self.startup_timeout = startup_timeout
        self.port = free_loopback_port()
        self.base_url = f"http://127.0.0.1:{self.port}"
        self.server_name = SERVER_NAME
        self.log_path = workdir / "homeserver.log"
        self.config_path = workdir / "homeserver.yaml"
        self._shared_secret = secrets.token_hex(32)
        self._process: subprocess.Popen[bytes] | None = None
        self._log: IO[bytes] | None = None
        workdir.mkdir(parents=True, exist_ok=True)
        # JSON is YAML, so no YAML library is needed on our side.
        config = homeserver_config(workdir, self.port, self._shared_secret)
        self.config_path.write_text(json.dumps(config, indent=2))

    @property
    def running(self) -> bool:
        """Whether the Synapse process is alive."""
        return self._process is not None and self._process.poll() is None

    def start(self) -> None:
        """Start Synapse and return once its client API answers (blocking)."""
        if self.running:
            return
        self.stop()  # forget a process that died earlier, and its log file
        env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "PYTHONHOME")}
        self._log = self.log_path.open("ab")
        self._process = subprocess.Popen(
            [
                str(self.venv / "bin" / "python"),
                *("-m", "synapse.app.homeserver", "--config-path", str(self.config_path)),
            ],
            cwd=self.workdir,
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=self._log,
            stderr=subprocess.STDOUT,
        )
        try:
            self._wait_until_ready(self._process)
        except BaseException:
            self.stop()
            raise

    def _wait_until_ready(self, process: subprocess.Popen[bytes]) -> None:
        deadline = time.monotonic() + self.startup_timeout
        url = f"{self.base_url}/_matrix/client/versions"
        with httpx.Client(trust_env=False, timeout=5.0) as http:
            while True:
                try:
                    if http.get(url).status_code == 200:
                        return
                except httpx.TransportError:
                    pass
                if time.monotonic() > deadline:
                    raise SynapseStartError(
                        f"Synapse did not answer {url} within {self.startup_timeout:.0f} s; "
                        f"log {self.log_path} ends with:\n{_log_tail(self.log_path)}"
                    )
                # Waiting on the process doubles as the poll interval and notices a crash at once.
                try:
                    code = process.wait(timeout=0.05)
                except subprocess.TimeoutExpired:
                    continue
                raise SynapseStartError(
                    f"Synapse exited with code {code} while starting; "
                    f"log {self.log_path} ends with:\n{_log_tail(self.log_path)}"
                )

    def stop(self) -> None:
        """Stop Synapse (SIGTERM, then SIGKILL after 15 s) and release its log file."""
        process, self._process = self._process, None
        if process is not None and process.poll() is None:
            process.send_signal(signal.SIGTERM)
            try:
                process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
        if self._log is not None:
            self._log.close()
            self._log = None

    def __enter__(self) -> Self:
        self.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.stop()

    async def __aenter__(self) -> Self:
        await asyncio.to_thread(self.start)
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        await asyncio.to_thread(self.stop)

    async def register_user(
        self, localpart: str, password: str, admin: bool = False
    ) -> MatrixAccount:
        """Create a user through the shared-secret admin API (nonce + HMAC-SHA1)."""
        url = f"{self.base_url}/_synapse/admin/v1/register"
        async with httpx.AsyncClient(trust_env=False, timeout=10.0) as http:
            nonce_reply = await http.get(url)
            nonce_reply.raise_for_status()
            nonce: str = nonce_reply.json()["nonce"]
            mac = hmac.new(self._shared_secret.encode(), digestmod=hashlib.sha1)
            for part in (nonce, localpart, password):
                mac.update(part.encode())
                mac.update(b"\x00")
            mac.update(b"admin" if admin else b"notadmin")
            reply = await http.post(
                url,
                json={
                    "nonce": nonce,
                    "username": localpart,
                    "password": password,
                    "admin": admin,
                    "mac": mac.hexdigest(),
                },
            )
        if reply.status_code != 200:
            raise RuntimeError(f"registering {localpart!r} failed: {reply.text}")
        body = reply.json()
        return MatrixAccount(
            user_id=body["user_id"],
            password=password,
            access_token=body["access_token"],
            device_id=body["device_id"],
        )

    async def register_member(self, name: str, admin: bool = False) -> MatrixAccount:
        """Register a user whose localpart starts with `name` and is unique on this server."""
        return await self.register_user(
            f"{name.lower()}-{secrets.token_hex(4)}", secrets.token_urlsafe(16), admin
        )


@asynccontextmanager
async def matrix_client(
    synapse: Synapse, account: MatrixAccount
) -> AsyncIterator[nio.AsyncClient]:
    """A nio client signed in as `account`, closed (with its aiohttp session) on exit."""
    client = nio.AsyncClient(
        synapse.base_url,
        account.user_id,
        device_id=account.device_id,
    )
    client.restore_login(account.user_id, account.device_id, account.access_token)
    try:
        yield client
    finally:
        await client.close()


async def sync_until(
    client: nio.AsyncClient,
    found: Callable[[nio.SyncResponse], T | None],
    within: float = 10.0,
) -> T:
    """Long-poll /sync until `found` returns something for a response, within `within` s."""
    async with asyncio.timeout(within):
        while True:
            response = await client.sync(timeout=1000)
            if isinstance(response, nio.SyncError):
                raise RuntimeError(f"sync failed for {client.user_id}: {response.message}")
            result = found(response)
            if result is not None:
                return result


async def wait_for_event(
    client: nio.AsyncClient,
    room_id: str,
    matches: Callable[[Any], bool],
    within: float = 10.0,
) -> Any:
    """The first timeline event in `room_id` after the client's last sync that `matches`."""

    def first_match(response: nio.SyncResponse) -> Any:
        room = response.rooms.join.get(room_id)
        if room is None:
            return None
        return next((event for event in room.timeline.events if matches(event)), None)

    return await sync_until(client, first_match, within)


@pytest.fixture(scope="session")
def synapse_venv() -> Path:
    """Synapse's virtualenv, installed on first use; skips the test when it cannot be."""
    try:
        return ensure_synapse_venv()
    except SynapseUnavailableError as error:
        pytest.skip(f"no Synapse for the Matrix tests: {error}")


@pytest.fixture(scope="session")
def synapse_server(
    synapse_venv: Path, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Synapse]:
    """One Synapse for the whole test session, stopped when the session ends."""
    with Synapse(tmp_path_factory.mktemp("synapse"), synapse_venv) as synapse:
        yield synapse
