"""Gepeto's Matrix login: the device it keeps across restarts, the sync token, and encryption.

Everything lives in `<data_dir>/matrix/`:

- `session.json` (mode 0600): homeserver, user id, device id and access token of a password
  login, so a restart reuses the same device instead of creating a new one each time.
- `sync.json`: the `next_batch` token, written only after every event of a sync batch is stored
  in the inbox, so a crash replays the batch (the inbox drops what it already has).
- `crypto/`: nio's end-to-end encryption store (olm account, megolm sessions, device keys).

End-to-end encryption (`[channels.matrix] encryption = true`) needs `matrix-nio[e2e]`, whose
crypto is `vodozemac` (prebuilt wheels; no libolm, compiler or cmake needed) plus `peewee`,
`cachetools` and `atomicwrites` for the store. Keep `crypto/` with the data directory: without
it Gepeto cannot read older encrypted messages and must be signed in as a new device (delete
`session.json` too). With a token login (MATRIX_ACCESS_TOKEN) the token's device must stay the
same for the store to match it.

Device verification: matrix-nio supports neither cross-signing nor the
`m.key.verification.request` flow current Element versions start with, so members will see
Gepeto's session as "unverified". Gepeto still reads and answers encrypted rooms: it trusts the
devices it finds in a room on first use and shares its room keys with them (Element's own default
for unverified devices). Its device id and ed25519 fingerprint are logged at start-up so an admin
can compare them with what Element shows under the bot's sessions.
"""

from __future__ import annotations

import asyncio
import json
import logging
import os
from dataclasses import asdict, dataclass
from pathlib import Path

import nio
import nio.crypto

from bot.channels.supervisor import ChannelFatal
from bot.config import ConfigError, MatrixSettings, Secrets

log = logging.getLogger(__name__)

STATE_DIR = "matrix"


class MatrixLoginError(ChannelFatal):
    """The homeserver refused Gepeto's credentials; a person must fix them."""


@dataclass(frozen=True)
class SavedSession:
    homeserver: str
    user_id: str
    device_id: str
    access_token: str


class MatrixState:
    """The files in `<data_dir>/matrix/` that let a restart carry on where the last run stopped."""

    def __init__(self, data_dir: Path) -> None:
        self.directory = data_dir / STATE_DIR
        self.crypto_dir = self.directory / "crypto"
        self._session_path = self.directory / "session.json"
        self._sync_path = self.directory / "sync.json"

    def prepare(self) -> None:
        for directory in (self.directory, self.crypto_dir):
            directory.mkdir(parents=True, exist_ok=True, mode=0o700)

    def load_session(self) -> SavedSession | None:
        try:
            raw = json.loads(self._session_path.read_text())
            return SavedSession(
                **{key: str(raw[key]) for key in SavedSession.__dataclass_fields__}
            )
        except (OSError, ValueError, KeyError, TypeError):
            return None

    async def save_session(self, session: SavedSession) -> None:
        await asyncio.to_thread(_write_private, self._session_path, json.dumps(asdict(session)))

    def load_sync_token(self) -> str | None:
        try:
            token = json.loads(self._sync_path.read_text()).get("next_batch")
        except (OSError, ValueError, AttributeError):
            return None
        return token if isinstance(token, str) and token else None

    async def save_sync_token(self, token: str) -> None:
        await asyncio.to_thread(_write_private, self._sync_path, json.dumps({"next_batch": token}))


def _write_private(path: Path, text: str) -> None:
    """Replaces the file atomically, readable only by the bot's user."""
    partial = path.with_suffix(path.suffix + ".partial")
    descriptor = os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(descriptor, "w") as handle:
        handle.write(text)
        handle.flush()
        os.fsync(handle.fileno())
    os.replace(partial, path)


def client_config(settings: MatrixSettings, request_timeout_s: float) -> nio.AsyncClientConfig:
    """nio's settings: errors come back to Gepeto at once, which retries with its own backoff."""
    if settings.encryption and not nio.crypto.ENCRYPTION_ENABLED:
        raise ConfigError(
            "channels.matrix.encryption: end-to-end encryption needs the matrix-nio[e2e] extras "
            "(vodozemac, peewee, cachetools, atomicwrites); install them with "
            "`pip install 'matrix-nio[e2e]'` or set encryption = false"
        )
    return nio.AsyncClientConfig(
        max_limit_exceeded=0,
        max_timeouts=0,
        request_timeout=request_timeout_s,
        encryption_enabled=settings.encryption,
        store_sync_tokens=False,
    )


async def sign_in(
    client: nio.AsyncClient, settings: MatrixSettings, secrets: Secrets, state: MatrixState
) -> None:
    """Reuses the saved device (or the token's), else logs in; MatrixLoginError if refused."""
    if secrets.matrix_access_token is not None:
        await _use_token(client, settings, secrets.matrix_access_token.get_secret_value())
    else:
        assert secrets.matrix_password is not None
        await _use_password(client, settings, secrets.matrix_password.get_secret_value(), state)
    if settings.encryption:
        fingerprint = client.olm.account.identity_keys.get("ed25519") if client.olm else None
        log.info(
            "Matrix encryption on: device %s, ed25519 fingerprint %s",
            client.device_id,
            fingerprint,
        )


async def _use_token(client: nio.AsyncClient, settings: MatrixSettings, token: str) -> None:
    client.access_token = token
    who = await client.whoami()
    if isinstance(who, nio.WhoamiError):
        raise MatrixLoginError(f"MATRIX_ACCESS_TOKEN was refused by {settings.homeserver}: {who}")
    if who.user_id != settings.user_id:
        raise MatrixLoginError(
            f"MATRIX_ACCESS_TOKEN belongs to {who.user_id}, not to channels.matrix.user_id "
            f"{settings.user_id}"
        )
    if not who.device_id:
        raise MatrixLoginError("the homeserver did not say which device MATRIX_ACCESS_TOKEN uses")
    client.restore_login(who.user_id, who.device_id, token)


async def _use_password(
    client: nio.AsyncClient, settings: MatrixSettings, password: str, state: MatrixState
) -> None:
    saved = state.load_session()
    if saved and (saved.homeserver, saved.user_id) == (settings.homeserver, settings.user_id):
        client.restore_login(saved.user_id, saved.device_id, saved.access_token)
        who = await client.whoami()
        if isinstance(who, nio.WhoamiResponse):
            log.info("Matrix: signed in again as %s on device %s", who.user_id, saved.device_id)
            return
        if who.status_code not in ("M_UNKNOWN_TOKEN", "M_MISSING_TOKEN"):
            raise RuntimeError(f"checking the saved Matrix login failed: {who}")
        client.device_id = saved.device_id
    response = await client.login(password, device_name=settings.device_name)
    if isinstance(response, nio.LoginError):
        raise MatrixLoginError(
            f"{settings.user_id} could not log in with MATRIX_PASSWORD: {response}"
        )
    await state.save_session(
        SavedSession(
            homeserver=settings.homeserver,
            user_id=response.user_id,
            device_id=response.device_id,
            access_token=response.access_token,
        )
    )
    log.info("Matrix: logged in as %s on device %s", response.user_id, response.device_id)
