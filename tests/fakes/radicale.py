"""A real Radicale CalDAV server on loopback, with a temporary storage folder and no sign-in."""

from __future__ import annotations

import socket
import subprocess
import sys
import time
from pathlib import Path
from types import TracebackType
from typing import Self

import httpx

STARTUP_TIMEOUT_S = 30.0
MKCALENDAR = b"""<?xml version="1.0" encoding="utf-8"?>
<C:mkcalendar xmlns:D="DAV:" xmlns:C="urn:ietf:params:xml:ns:caldav">
  <D:set><D:prop><D:displayname>Family</D:displayname></D:prop></D:set>
</C:mkcalendar>"""


class RadicaleStartError(RuntimeError):
    """Radicale did not come up; the message ends with its log."""


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


class Radicale:
    """`with Radicale(folder) as server:` — `server.calendar_url` is an empty family calendar."""

    def __init__(self, folder: Path, users: dict[str, str] | None = None) -> None:
        """`users` (name -> password) makes Radicale ask for a sign-in (htpasswd, plain)."""
        self.folder = folder
        self.users = users or {}
        self.port = free_port()
        self.base_url = f"http://127.0.0.1:{self.port}"
        self.calendar_url = f"{self.base_url}/family/calendar/"
        self.log_path = folder / "radicale.log"
        self._process: subprocess.Popen[bytes] | None = None

    def __enter__(self) -> Self:
        self.folder.mkdir(parents=True, exist_ok=True)
        sign_in = ["--auth-type", "none"]
        auth: tuple[str, str] | None = None
        if self.users:
            passwords = self.folder / "users"
            passwords.write_text("".join(f"{n}:{p}\n" for n, p in self.users.items()))
            sign_in = [
                "--auth-type",
                "htpasswd",
                "--auth-htpasswd-filename",
                str(passwords),
                "--auth-htpasswd-encryption",
                "plain",
            ]
            auth = next(iter(self.users.items()))
        with self.log_path.open("wb") as log:
            self._process = subprocess.Popen(
                [
                    sys.executable,
                    "-m",
                    "radicale",
                    "--server-hosts",
                    f"127.0.0.1:{self.port}",
                    "--storage-filesystem-folder",
                    str(self.folder / "collections"),
                    *sign_in,
                    "--rights-type",
                    "authenticated",
                ],
                stdout=log,
                stderr=subprocess.STDOUT,
            )
        try:
            self._wait_until_ready(self._process)
            with httpx.Client(trust_env=False, auth=auth) as http:
                folder = http.request("MKCOL", f"{self.base_url}/family/")
                if folder.status_code != 405:  # a signed-in user's own folder already exists
                    folder.raise_for_status()
                made = http.request("MKCALENDAR", self.calendar_url, content=MKCALENDAR)
                made.raise_for_status()
        except BaseException:
            self.__exit__(None, None, None)
            raise
        return self

    def _wait_until_ready(self, process: subprocess.Popen[bytes]) -> None:
        deadline = time.monotonic() + STARTUP_TIMEOUT_S
        with httpx.Client(trust_env=False, timeout=5.0) as http:
            while True:
                try:
                    http.get(f"{self.base_url}/.web/")
                    return
                except httpx.TransportError:
                    pass
                if time.monotonic() > deadline:
                    raise RadicaleStartError(f"Radicale did not answer: {self._log_tail()}")
                # Waiting on the process doubles as the poll interval and notices a crash at once.
                try:
                    code = process.wait(timeout=0.05)
                except subprocess.TimeoutExpired:
                    continue
                raise RadicaleStartError(f"Radicale exited with {code}: {self._log_tail()}")

    def _log_tail(self) -> str:
        return self.log_path.read_text(errors="replace")[-2000:]

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        trace: TracebackType | None,
    ) -> None:
        process, self._process = self._process, None
        if process is not None and process.poll() is None:
            process.terminate()
            try:
                process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
