"""A real Home Assistant core on loopback, so the home skill's tests speak to the real thing.

Home Assistant 2024.3.3 runs from its own virtualenv (scripts/homeassistant-venv) with a
temporary config folder; the `demo` integration, added as a config entry, gives offline lights,
locks, covers (a garage door), thermostats, an alarm panel and sensors. The owner account and a
long-lived token come from the onboarding and auth APIs, as a person would get them.
"""

from __future__ import annotations

import asyncio
import json
import os
import signal
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path
from typing import IO, Any

import aiohttp
import httpx
import pytest

from tests.fakes.synapse import free_loopback_port

REPO_ROOT = Path(__file__).resolve().parents[2]
VENV_SCRIPT = REPO_ROOT / "scripts" / "homeassistant-venv"
CLIENT_ID = "http://127.0.0.1/gepeto-tests"
LOG_TAIL_LINES = 40


class HomeAssistantUnavailableError(RuntimeError):
    """Home Assistant could not be installed here, so the end-to-end home tests cannot run."""


class HomeAssistantStartError(RuntimeError):
    """Home Assistant did not come up; the message carries the tail of its log."""


def ensure_home_assistant_venv() -> Path:
    """Install (or confirm) the pinned Home Assistant and return its virtualenv."""
    try:
        result = subprocess.run(
            ["bash", str(VENV_SCRIPT)], capture_output=True, text=True, check=False, timeout=900
        )
    except (OSError, subprocess.TimeoutExpired) as error:
        raise HomeAssistantUnavailableError(f"{VENV_SCRIPT} could not run: {error}") from error
    if result.returncode != 0:
        detail = "\n".join(result.stderr.strip().splitlines()[-LOG_TAIL_LINES:])
        raise HomeAssistantUnavailableError(f"{VENV_SCRIPT} failed:\n{detail}")
    venv = Path(result.stdout.strip().splitlines()[-1])
    if not (venv / "bin" / "hass").exists():
        raise HomeAssistantUnavailableError(f"{VENV_SCRIPT} left no hass in {venv}")
    return venv


CONFIGURATION = """\
homeassistant:
  name: Test House
  latitude: 38.72
  longitude: -9.14
  elevation: 0
  unit_system: metric
  time_zone: UTC
  currency: EUR
  country: PT
http:
  server_host: 127.0.0.1
  server_port: {port}
api:
websocket_api:
config:
onboarding:
demo:
logger:
  default: warning
"""


class HomeAssistantCore:
    """One `hass` process serving http://127.0.0.1:<port> from a config folder under `workdir`."""

    def __init__(self, workdir: Path, venv: Path, *, startup_timeout: float = 120.0) -> None:
        self.workdir = workdir
        self.venv = venv
        self.startup_timeout = startup_timeout
        self.port = free_loopback_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.config_dir = workdir / "config"
        self.log_path = workdir / "hass.log"
        self.token = ""
        self._process: subprocess.Popen[bytes] | None = None
        self._log: IO[bytes] | None = None
        self.config_dir.mkdir(parents=True, exist_ok=True)
        (self.config_dir / "configuration.yaml").write_text(CONFIGURATION.format(port=self.port))

    @property
    def running(self) -> bool:
        return self._process is not None and self._process.poll() is None

    def start(self) -> None:
        """Start `hass` and return once its API answers (blocking)."""
        if self.running:
            return
        self.stop()
        env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "PYTHONHOME")}
        self._log = self.log_path.open("ab")
        self._process = subprocess.Popen(
            [str(self.venv / "bin" / "hass"), "--skip-pip", "-c", str(self.config_dir)],
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
        with httpx.Client(trust_env=False, timeout=5.0) as http:
            while True:
                try:
                    # 401 means the API is up and only wants a token.
                    if http.get(f"{self.url}/api/").status_code in (200, 401):
                        return
                except httpx.TransportError:
                    pass
                if time.monotonic() > deadline:
                    raise HomeAssistantStartError(
                        f"Home Assistant did not answer within {self.startup_timeout:.0f} s; "
                        f"its log ends with:\n{self.log_tail()}"
                    )
                try:
                    code = process.wait(timeout=0.1)
                except subprocess.TimeoutExpired:
                    continue
                raise HomeAssistantStartError(
                    f"Home Assistant exited with code {code} while starting; "
                    f"its log ends with:\n{self.log_tail()}"
                )

    def log_tail(self) -> str:
        if not self.log_path.exists():
            return "(no log written)"
        return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-LOG_TAIL_LINES:])

    def stop(self) -> None:
        """Stop `hass` (SIGTERM, then SIGKILL after 30 s) and release its log file."""
        process, self._process = self._process, None
        if process is not None and process.poll() is None:
            process.send_signal(signal.SIGTERM)
            try:
                process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
        if self._log is not None:
            self._log.close()
            self._log = None

    async def onboard(self) -> str:
        """Create the owner, sign in, and keep a long-lived token, as a person would."""
        async with httpx.AsyncClient(base_url=self.url, trust_env=False, timeout=30) as http:
            created = await http.post(
                "/api/onboarding/users",
                json={
                    "client_id": CLIENT_ID,
                    "name": "Owner",
                    "username": "owner",
                    "password": "a long test password",
                    "language": "en",
                },
            )
            created.raise_for_status()
            token = await http.post(
                "/auth/token",
                data={
                    "grant_type": "authorization_code",
                    "code": created.json()["auth_code"],
                    "client_id": CLIENT_ID,
                },
            )
            token.raise_for_status()
            access = token.json()["access_token"]
            self.token = str(
                await self.websocket_command(
                    access,
                    {
                        "type": "auth/long_lived_access_token",
                        "client_name": "gepeto",
                        "lifespan": 30,
                    },
                )
            )
        return self.token

    async def websocket_command(self, token: str, command: dict[str, Any]) -> Any:
        """Send one command on a fresh authenticated WebSocket and return its result."""
        async with (
            aiohttp.ClientSession() as session,
            session.ws_connect(f"{self.url}/api/websocket") as socket,
        ):
            await socket.receive_json()
            await socket.send_json({"type": "auth", "access_token": token})
            answer = await socket.receive_json()
            if answer.get("type") != "auth_ok":
                raise RuntimeError(f"Home Assistant refused the token: {answer}")
            await socket.send_json({"id": 1, **command})
            while True:
                reply = await socket.receive_json()
                if reply.get("id") == 1 and reply.get("type") == "result":
                    if not reply.get("success"):
                        raise RuntimeError(f"{command['type']} failed: {json.dumps(reply)}")
                    return reply.get("result")

    async def states(self) -> dict[str, dict[str, Any]]:
        """Every entity's state, by entity id, straight from the REST API."""
        async with httpx.AsyncClient(base_url=self.url, trust_env=False, timeout=30) as http:
            answer = await http.get(
                "/api/states", headers={"Authorization": f"Bearer {self.token}"}
            )
            answer.raise_for_status()
            return {state["entity_id"]: state for state in answer.json()}

    async def wait_for_entities(self, entity_ids: list[str], timeout_s: float = 60.0) -> None:
        """Wait until the demo integration has created these entities."""
        deadline = time.monotonic() + timeout_s
        while True:
            states = await self.states()
            if all(entity in states for entity in entity_ids):
                return
            if time.monotonic() > deadline:
                missing = [entity for entity in entity_ids if entity not in states]
                raise HomeAssistantStartError(f"the demo never created {missing}")
            await asyncio.sleep(0.2)


@pytest.fixture(scope="session")
def home_assistant_venv() -> Path:
    """Home Assistant's virtualenv, installed on first use; skips when it cannot be."""
    try:
        return ensure_home_assistant_venv()
    except HomeAssistantUnavailableError as error:
        pytest.skip(f"no Home Assistant for the home tests: {error}")


@pytest.fixture(scope="session")
def home_assistant_core(
    home_assistant_venv: Path, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[HomeAssistantCore]:
    """One onboarded Home Assistant with the demo devices for the whole test session."""
    core = HomeAssistantCore(tmp_path_factory.mktemp("homeassistant"), home_assistant_venv)
    core.start()
    try:
        asyncio.run(core.onboard())
        yield core
    finally:
        core.stop()
