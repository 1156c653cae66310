"""The console channel: chat with Gepeto in a terminal, or send one message from a script."""

from __future__ import annotations

import asyncio
import mimetypes
import sys
import threading
import uuid
from collections.abc import AsyncGenerator, Callable
from pathlib import Path
from typing import TextIO

from bot.clock import Clock
from bot.media import MediaUnavailable
from bot.messages import Attachment, AttachmentKind, Incoming, Reply
from bot.router import Router
from bot.text import DEFAULT_MAX_MESSAGE_CHARS, clean_incoming, printable

CHANNEL = "console"
READ_PIECE_BYTES = 64 * 1024


VOICE_SUFFIXES = frozenset({".ogg", ".oga", ".opus"})
ATTACH = "/attach "


def local_attachment(path: Path) -> Attachment:
    """A file on this machine as an attachment: .ogg is a voice note, images are photos."""
    source = path.expanduser().resolve()
    mime = mimetypes.guess_type(source.name)[0] or "application/octet-stream"
    kind: AttachmentKind = "document"
    if source.suffix.lower() in VOICE_SUFFIXES:
        kind, mime = "voice", "audio/ogg"
    elif mime.startswith("audio/"):
        kind = "audio"
    elif mime.startswith("image/"):
        kind = "photo"
    size = source.stat().st_size if source.is_file() else None
    return Attachment(kind=kind, file_id=str(source), name=source.name, mime_type=mime, size=size)


def console_message(
    clock: Clock,
    member_name: str,
    text: str = "",
    button: str | None = None,
    max_chars: int = DEFAULT_MAX_MESSAGE_CHARS,
    attachments: tuple[Attachment, ...] = (),
) -> Incoming:
    """An Incoming from the console; the member's name is their console identity."""
    incoming = Incoming(
        channel=CHANNEL,
        chat_id=member_name.casefold(),
        sender=member_name,
        sender_name=member_name,
        event_id=uuid.uuid4().hex,
        received_at=clock.now(),
        text=text,
        button=button,
        attachments=attachments,
    )
    return clean_incoming(incoming, max_chars)


class ConsoleChannel:
    """Reads lines from stdin as one member; prints replies; asks confirmations as y/N prompts."""

    name = CHANNEL

    def __init__(
        self,
        clock: Clock,
        member_name: str,
        output: TextIO | None = None,
        lines: Callable[[], str | None] | None = None,
        max_message_chars: int = DEFAULT_MAX_MESSAGE_CHARS,
    ) -> None:
        self._clock = clock
        self._max_chars = max_message_chars
        self.member_name = member_name
        self._output = output or sys.stdout
        self._read_line = lines or _read_stdin_line
        self._open_question: Reply | None = None
        self._streamed = ""
        self.connected = False
        """True while the terminal is being read (for /readyz)."""

    def open_stream(self, incoming: Incoming) -> ConsoleStream | None:
        """Prints the model's words as they arrive (only for the person at this terminal)."""
        if incoming.chat_id != self.member_name.casefold():
            return None
        return ConsoleStream(self)

    async def send(self, chat_id: str, reply: Reply, key: str) -> None:
        if reply.streamed and self._streamed and reply.text.strip() == self._streamed.strip():
            self._streamed = ""
            return
        self._streamed = ""
        prefix = "" if chat_id == self.member_name.casefold() else f"(to {chat_id}) "
        print(f"gepeto> {prefix}{printable(reply.text)}", file=self._output, flush=True)
        if reply.buttons and chat_id == self.member_name.casefold():
            self._open_question = reply

    async def run(self, router: Router) -> None:
        lines: asyncio.Queue[str | None] = asyncio.Queue()
        loop = asyncio.get_running_loop()

        def pump() -> None:
            while True:
                line = self._read_line()
                loop.call_soon_threadsafe(lines.put_nowait, line)
                if line is None:
                    return

        threading.Thread(target=pump, name="console-input", daemon=True).start()
        self.connected = True
        try:
            self._prompt()
            while (line := await lines.get()) is not None:
                text = line.strip()
                if text or self._open_question:
                    await self._submit(router, text)
                self._prompt()
        finally:
            self.connected = False

    async def _submit(self, router: Router, text: str) -> None:
        question, self._open_question = self._open_question, None
        button = None
        if question is not None and text.lower() in ("y", "yes", "n", "no", ""):
            wanted = "yes" if text.lower().startswith("y") else "no"
            button = next((b.data for b in question.buttons if b.data.endswith(wanted)), None)
        attachments: tuple[Attachment, ...] = ()
        if button is None and text.startswith(ATTACH):  # /attach PATH sends that file
            attachments, text = (local_attachment(Path(text[len(ATTACH) :].strip())),), ""
        incoming = console_message(
            self._clock,
            self.member_name,
            "" if button else text,
            button,
            self._max_chars,
            attachments,
        )
        await router.handle_now(incoming)
        await router.outbox.deliver_due(CHANNEL)

    def _prompt(self) -> None:
        hint = " [y/N]" if self._open_question else ""
        print(f"{self.member_name}{hint}> ", end="", file=self._output, flush=True)


class ConsoleStream:
    """Prints each new piece of a growing reply; the final reply then isn't printed twice."""

    def __init__(self, channel: ConsoleChannel) -> None:
        self._channel = channel
        self._printed = ""

    async def update(self, text: str) -> None:
        if self._printed and text.startswith(self._printed):
            piece = text[len(self._printed) :]
        else:  # a new draft (the model's next round) gets a line of its own
            piece = ("\n" if self._printed else "") + "gepeto> " + text
        print(printable(piece), end="", file=self._channel._output, flush=True)
        self._printed = text

    async def close(self) -> None:
        """Ends the line; closing again (the turn, then the router) prints nothing more."""
        if self._printed:
            print(file=self._channel._output, flush=True)
            self._channel._streamed = self._printed
            self._printed = ""


async def read_local_file(attachment: Attachment) -> AsyncGenerator[bytes, None]:
    """The console's media fetcher: the file at `attachment.file_id` on this machine."""
    source = Path(attachment.file_id)
    if not await asyncio.to_thread(source.is_file):
        raise MediaUnavailable(f"There is no file at {source}.")
    with await asyncio.to_thread(source.open, "rb") as data:
        while piece := await asyncio.to_thread(data.read, READ_PIECE_BYTES):
            yield piece


def _read_stdin_line() -> str | None:
    line = sys.stdin.readline()
    return line if line else None
