"""Files in Matrix: voice notes, audio, photos and documents in (as references, fetched
when a handler asks); charts and calendars out."""

from __future__ import annotations

import asyncio
import base64
import binascii
import hashlib
import hmac
import io
import logging
import mimetypes
from collections.abc import AsyncGenerator
from pathlib import Path
from typing import Any
from urllib.parse import quote

import nio
from Crypto.Cipher import AES
from Crypto.Util import Counter

from bot.media import MediaUnavailable, unavailable
from bot.messages import Attachment, AttachmentKind, EncryptedMedia

log = logging.getLogger(__name__)

DOWNLOAD_TIMEOUT_S = 300.0
PIECE_BYTES = 64 * 1024
OLD_SERVER_STATUSES = frozenset({400, 404, 405})
"""What a homeserver without authenticated media (MSC3916) answers its endpoint with."""
VOICE_FLAG = "org.matrix.msc3245.voice"
MEDIA_MSGTYPES = {"m.image", "m.audio", "m.file", "m.video"}


class UploadFailed(Exception):
    """The homeserver did not take a file; carries nio's error response."""

    def __init__(self, error: nio.UploadError) -> None:
        super().__init__(str(error))
        self.error = error


def as_dict(value: object) -> dict[str, Any]:
    """The value when it is a JSON object, else an empty one (event contents are untrusted)."""
    return value if isinstance(value, dict) else {}


def attachment_kind(content: dict[str, Any]) -> AttachmentKind | None:
    """photo, voice, audio or document for a media message; None for anything else."""
    msgtype = content.get("msgtype")
    if msgtype == "m.image":
        return "photo"
    if msgtype == "m.audio":
        return "voice" if VOICE_FLAG in content else "audio"
    if msgtype in ("m.file", "m.video"):
        return "document"
    return None


def caption(content: dict[str, Any]) -> str:
    """The text sent with a file: `body` when a separate `filename` is given (MSC2530)."""
    filename = content.get("filename")
    body = content.get("body")
    if isinstance(filename, str) and isinstance(body, str) and body != filename:
        return body
    return ""


def attachment(content: dict[str, Any]) -> Attachment | None:
    """The message's file as a reference (mxc URL, and the keys when it is encrypted)."""
    kind = attachment_kind(content)
    encrypted = as_dict(content.get("file")) or None
    url = (encrypted or content).get("url")
    if kind is None or not isinstance(url, str):
        return None
    info = as_dict(content.get("info"))
    mime_type = info.get("mimetype") or (encrypted or {}).get("mimetype")
    name = content.get("filename") or content.get("body")
    size = info.get("size")
    duration_ms = info.get("duration")
    keys = None
    if encrypted is not None:
        keys = _keys(encrypted)
        if keys is None:
            log.warning("an encrypted file without usable keys: %s", url)
            url = ""  # the reference stays, so the member hears that it could not be read
    return Attachment(
        kind=kind,
        file_id=url,
        mime_type=mime_type if isinstance(mime_type, str) else None,
        name=name if isinstance(name, str) else None,
        size=size if isinstance(size, int) and not isinstance(size, bool) else None,
        duration_s=duration_ms / 1000 if isinstance(duration_ms, int | float) else None,
        encryption=keys,
    )


def _keys(encrypted: dict[str, Any]) -> EncryptedMedia | None:
    key = as_dict(encrypted.get("key")).get("k")
    iv = encrypted.get("iv")
    sha256 = as_dict(encrypted.get("hashes")).get("sha256")
    if not (isinstance(key, str) and isinstance(iv, str) and isinstance(sha256, str)):
        return None
    return EncryptedMedia(key=key, iv=iv, sha256=sha256)


async def download(client: nio.AsyncClient, attachment: Attachment) -> AsyncGenerator[bytes, None]:
    """The file's bytes, decrypted piece by piece when encrypted (its hash checked at the end).

    Authenticated media first (Matrix 1.11), the legacy endpoint for older homeservers.
    """
    server, _, media_id = attachment.file_id.removeprefix("mxc://").partition("/")
    if not attachment.file_id.startswith("mxc://") or not server or not media_id:
        raise unavailable(attachment.kind)
    keys = Decryption(attachment.encryption) if attachment.encryption else None
    where = f"{quote(server, safe='')}/{quote(media_id, safe='')}"
    response = await client.send(
        "GET",
        f"/_matrix/client/v1/media/download/{where}",
        headers={"Authorization": f"Bearer {client.access_token}"},
        timeout=DOWNLOAD_TIMEOUT_S,
    )
    if response.status in OLD_SERVER_STATUSES:
        response.release()
        response = await client.send(
            "GET", f"/_matrix/media/v3/download/{where}", timeout=DOWNLOAD_TIMEOUT_S
        )
    async with response:
        if response.status != 200:
            log.warning("could not download %s: HTTP %d", attachment.file_id, response.status)
            raise unavailable(attachment.kind)
        async for piece in response.content.iter_chunked(PIECE_BYTES):
            yield keys.decrypt(piece) if keys else piece
    if keys is not None and not keys.intact():
        log.warning("the file %s does not match its SHA-256 hash", attachment.file_id)
        raise MediaUnavailable("That file arrived damaged — please send it again.")


class Decryption:
    """AES-CTR decryption as the file streams in; nio's `decrypt_attachment` does it whole."""

    def __init__(self, keys: EncryptedMedia) -> None:
        try:
            key = _unpadded_base64(keys.key)
            iv = _unpadded_base64(keys.iv)
            self._expected = _unpadded_base64(keys.sha256)
            counter = Counter.new(64, prefix=iv[:8], initial_value=int.from_bytes(iv[8:], "big"))
            self._cipher = AES.new(key, AES.MODE_CTR, counter=counter)
        except (binascii.Error, ValueError) as error:
            log.warning("unusable keys for an encrypted file: %s", error)
            raise MediaUnavailable(
                "I couldn't decrypt that file — please send it again."
            ) from None
        self._hash = hashlib.sha256()

    def decrypt(self, piece: bytes) -> bytes:
        self._hash.update(piece)
        return bytes(self._cipher.decrypt(piece))

    def intact(self) -> bool:
        """True when the ciphertext's hash is the one the sender announced."""
        return hmac.compare_digest(self._hash.digest(), self._expected)


def _unpadded_base64(text: str) -> bytes:
    """Matrix writes base64 without padding; keys (JWK) in the URL-safe alphabet."""
    padded = text + "=" * (-len(text) % 4)
    return base64.b64decode(padded.replace("-", "+").replace("_", "/"), validate=True)


async def upload_content(
    client: nio.AsyncClient, path: Path, msgtype: str, encrypt: bool
) -> dict[str, Any]:
    """Uploads the file and returns the m.room.message content that shows it."""
    data = await asyncio.to_thread(path.read_bytes)
    mime_type = mimetypes.guess_type(path.name)[0] or "application/octet-stream"
    response, keys = await client.upload(
        io.BytesIO(data),
        content_type=mime_type,
        filename=path.name,
        encrypt=encrypt,
        filesize=len(data),
    )
    if not isinstance(response, nio.UploadResponse):
        raise UploadFailed(response)
    content: dict[str, Any] = {
        "msgtype": msgtype,
        "body": path.name,
        "filename": path.name,
        "info": {"mimetype": mime_type, "size": len(data)},
    }
    if encrypt and keys is not None:
        content["file"] = {**keys, "url": response.content_uri, "mimetype": mime_type}
    else:
        content["url"] = response.content_uri
    return content
