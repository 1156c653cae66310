"""Files in Matrix: voice notes, audio, photos and documents in; charts and calendars out."""

from __future__ import annotations

import asyncio
import io
import logging
import mimetypes
import re
from pathlib import Path
from typing import Any

import nio
from nio.crypto.attachments import decrypt_attachment

from bot.messages import Attachment, AttachmentKind

log = logging.getLogger(__name__)

MAX_DOWNLOAD_BYTES = 50 * 1024 * 1024
VOICE_FLAG = "org.matrix.msc3245.voice"
MEDIA_MSGTYPES = {"m.image", "m.audio", "m.file", "m.video"}
UNSAFE_NAME = re.compile(r"[^A-Za-z0-9_.-]+")


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


class MediaStore:
    """Downloads incoming files into the data directory (decrypting them when needed)."""

    def __init__(self, client: nio.AsyncClient, directory: Path) -> None:
        self._client = client
        self._directory = directory

    async def attachment(self, event_id: str, content: dict[str, Any]) -> Attachment | None:
        """The message's file as an Attachment, downloaded when it can be; None if no file."""
        kind = attachment_kind(content)
        encrypted = as_dict(content.get("file")) or None
        url = (encrypted or content).get("url")
        if kind is None or not isinstance(url, str):
            return None
        info = as_dict(content.get("info"))
        mime_type = info.get("mimetype") or (encrypted or {}).get("mimetype")
        name = content.get("filename") or content.get("body")
        size = info.get("size") if isinstance(info.get("size"), int) else None
        duration_ms = info.get("duration")
        attachment = Attachment(
            kind=kind,
            file_id=url,
            mime_type=mime_type if isinstance(mime_type, str) else None,
            name=name if isinstance(name, str) else None,
            size=size,
            duration_s=duration_ms / 1000 if isinstance(duration_ms, int | float) else None,
        )
        if size is not None and size > MAX_DOWNLOAD_BYTES:
            log.info("not downloading %s: %d bytes is more than we keep", url, size)
            return attachment
        data = await self._download(url)
        if data is not None and encrypted is not None:
            try:
                data = await asyncio.to_thread(
                    decrypt_attachment,
                    data,
                    encrypted["key"]["k"],
                    encrypted["hashes"]["sha256"],
                    encrypted["iv"],
                )
            except (KeyError, TypeError, nio.EncryptionError) as error:
                log.warning("could not decrypt the file of %s: %s", event_id, error)
                data = None
        if data is None:
            return attachment
        path = self._directory / (UNSAFE_NAME.sub("_", event_id) + _extension(attachment))
        await asyncio.to_thread(path.write_bytes, data)
        return attachment.model_copy(update={"path": str(path), "size": len(data)})

    async def _download(self, url: str) -> bytes | None:
        """The file's bytes: authenticated media first, the legacy endpoint for older servers."""
        response = await self._client.download(mxc=url)
        if isinstance(response, nio.MemoryDownloadResponse):
            return bytes(response.body)
        if response.status_code in ("M_UNRECOGNIZED", "M_NOT_FOUND") and url.startswith("mxc://"):
            server_and_id = url.removeprefix("mxc://")
            legacy = await self._client.send("GET", f"/_matrix/media/v3/download/{server_and_id}")
            async with legacy:
                if legacy.status == 200:
                    return bytes(await legacy.read())
        log.warning("could not download %s: %s", url, response)
        return None


def _extension(attachment: Attachment) -> str:
    if attachment.name and Path(attachment.name).suffix:
        return UNSAFE_NAME.sub("_", Path(attachment.name).suffix)
    guessed = mimetypes.guess_extension(attachment.mime_type or "")
    return guessed or ".bin"


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
