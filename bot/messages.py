"""What travels through the pipeline: a normalized incoming message and the replies to it."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

AttachmentKind = Literal["voice", "audio", "photo", "document"]
Route = Literal[
    "command", "fast", "llm", "confirmation", "refused", "ignored", "unknown", "media", "error"
]
ActionStatus = Literal["done", "needs_confirmation", "denied", "failed"]


class Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class EncryptedMedia(Frozen):
    """How to decrypt an end-to-end encrypted file (Matrix): AES-CTR key, IV, SHA-256."""

    key: str
    iv: str
    sha256: str


class Attachment(Frozen):
    """A file that came with a message: a reference the channel's fetcher can download.

    The inbox keeps only this reference; a handler that needs the bytes asks
    `app.media.fetch(incoming, attachment)`.
    """

    kind: AttachmentKind
    file_id: str = Field(default="", description="Telegram's file_id, a Matrix mxc:// URL")
    unique_id: str | None = Field(
        default=None, description="the same file's id across bots and time (Telegram)"
    )
    mime_type: str | None = None
    name: str | None = None
    size: int | None = None
    duration_s: float | None = None
    encryption: EncryptedMedia | None = None

    @model_validator(mode="before")
    @classmethod
    def _forget_old_download_path(cls, data: Any) -> Any:
        """Inbox rows from before references kept the channel's download path; it is gone."""
        if isinstance(data, dict) and "path" in data:
            return {key: value for key, value in data.items() if key != "path"}
        return data


class Incoming(Frozen):
    """One message (or button press) from a chat, in the same shape for every channel."""

    channel: str
    chat_id: str
    sender: str
    event_id: str
    received_at: datetime
    text: str = ""
    sender_name: str = ""
    is_group: bool = False
    addressed_to_bot: bool = True
    attachments: tuple[Attachment, ...] = ()
    reply_to_text: str | None = None
    reply_to_event: str | None = None
    thread_id: str | None = None
    forwarded_from: str | None = None
    edited: bool = False
    button: str | None = Field(default=None, description="data of a pressed button or reaction")
    button_message_id: str | None = None
    cut_from_chars: int | None = Field(
        default=None, description="the text's length before the channel cut it to the limit"
    )

    @property
    def chat_key(self) -> tuple[str, str]:
        return (self.channel, self.chat_id)

    @property
    def is_command(self) -> bool:
        return self.text.lstrip().startswith("/")


class Button(Frozen):
    label: str
    data: str
    emoji: str | None = None
    """The reaction that stands for this button where buttons are reactions (Matrix)."""


class Reply(Frozen):
    """A message for the chat: Markdown text, optional buttons and files."""

    text: str
    buttons: tuple[Button, ...] = ()
    image_path: str | None = None
    file_path: str | None = None
    reply_to_event: str | None = None
    thread_id: str | None = None
    confirmation_id: int | None = None
    streamed: bool = False


TRANSCRIPT_REPORT = "voice.transcribe"
"""The report a skill adds to a message's actions when it heard a voice note: its `args` are
the transcript ({"text", "language", "confidence"}), which `say --json` shows as `"transcript"`."""


class ActionReport(Frozen):
    """What happened to one tool call, as `gepeto say --json` shows it."""

    tool: str
    args: dict[str, Any]
    status: ActionStatus
    detail: str = ""


class Outcome(Frozen):
    """Everything one incoming message produced."""

    route: Route
    replies: tuple[Reply, ...] = ()
    actions: tuple[ActionReport, ...] = ()

    @property
    def text(self) -> str:
        return "\n\n".join(reply.text for reply in self.replies if reply.text)
