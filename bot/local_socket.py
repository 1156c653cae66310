"""`gepeto say`, `search` and `ask` put to the running bot over a socket only its user can open.

`gepeto run` listens on data_dir/run/gepeto.sock: the folder is 0700, the socket 0600, and the
bot checks the caller's user id, so only the user the bot runs as can ask (who can read the data
dir anyway). A question may name the member asking (`--as`): it then runs as that member's tool
call, with their role's limits. The command answers in well under a second this way, instead of
loading the embedding model and opening the index itself (issue 18 item 4); when no bot listens,
it does exactly that, through `answer` here too. `gepeto say` goes the same way: the running
bot handles the message as the member's own (on the local API's channel, where a member's name
is their identity), so a script pays for Python's start, not for the database layer and every
skill (issue 11 item 10); without a bot, the command handles it itself.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import os
import socket
import struct
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    ValidationError,
    ValidationInfo,
    field_validator,
)
from pydantic_core import PydanticCustomError

if TYPE_CHECKING:  # the client side runs in `gepeto say` and `search`, which must start fast
    from bot.context import AppContext
    from bot.outbox import Outbox
    from bot.router import Router
    from bot.say import ReplyCollector

log = logging.getLogger(__name__)

SOCKET = Path("run") / "gepeto.sock"
MAX_TEXT_CHARS = 16_000
MAX_QUESTION_BYTES = 4 * MAX_TEXT_CHARS + 1024  # UTF-8 and JSON escapes included
ANSWER_TIMEOUT_S = 300.0
"""Long enough for the chat model to answer `gepeto ask`."""
DEFAULT_RESULTS = 5
SEARCH_CHARS = 1000
_MAX_SOCKET_PATH = 107  # sockaddr_un's sun_path, less its terminating zero


class LocalRequest(BaseModel):
    """One line the command sends: a message to say, a search, a question, or how far the
    index is."""

    model_config = ConfigDict(extra="forbid")

    command: Literal["say", "search", "ask", "status"]
    text: str = Field(default="", max_length=MAX_TEXT_CHARS)
    k: int | None = Field(default=None, ge=1, le=20)
    member: str | None = Field(default=None, min_length=1, max_length=100)

    @field_validator("text")
    @classmethod
    def _a_question_is_short(cls, text: str, info: ValidationInfo) -> str:
        if info.data.get("command") != "say" and len(text) > SEARCH_CHARS:
            raise PydanticCustomError(
                "string_too_long",
                "String should have at most {max_length} characters",
                {"max_length": SEARCH_CHARS},
            )
        return text


class QuestionRefused(Exception):
    """A sentence for the person instead of an answer (unknown member, role, bad question)."""


def indexing_line(indexing: dict[str, Any]) -> str:
    """A first build's progress for people: `indexing: 412/537 notes (about 3 min left)`."""
    eta = indexing.get("eta_seconds")
    if eta is None:
        left = ""
    elif eta < 90:
        left = f" (about {max(1, round(eta))} s left)"
    else:
        left = f" (about {round(eta / 60)} min left)"
    return f"indexing: {indexing['done']}/{indexing['total']} notes{left}"


def socket_path(data_dir: Path) -> Path:
    return data_dir / SOCKET


def ask_running_bot(
    data_dir: Path, question: LocalRequest, timeout: float = ANSWER_TIMEOUT_S
) -> dict[str, Any] | None:
    """The running bot's answer, or None when no bot listens on this data dir."""
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as line:
        line.settimeout(timeout)
        try:
            line.connect(str(socket_path(data_dir)))
        except OSError:  # no socket, a stale one, or a path too long to listen on
            return None
        try:
            line.sendall(question.model_dump_json().encode("utf-8") + b"\n")
            received = bytearray()
            while chunk := line.recv(65536):
                received += chunk
        except TimeoutError:
            raise QuestionRefused(
                f"The running bot did not answer within {timeout:.0f} s; see its log."
            ) from None
    if not received:
        raise QuestionRefused("The running bot hung up without answering; see its log.")
    answer: dict[str, Any] = json.loads(received)
    if "error" in answer:
        raise QuestionRefused(str(answer["error"]))
    return answer


async def answer(app: AppContext, question: LocalRequest) -> dict[str, Any]:
    """The answer to one question, from the bot's index; QuestionRefused says why not."""
    if question.command == "say":
        raise QuestionRefused("Only the running bot takes messages here.")
    search = app.knowledge
    if search is None:
        raise QuestionRefused("The vault search is switched off.")
    if question.command == "status":
        building = search.building
        if building is not None:  # the notes' count moves under the first build's feet
            return {"indexing": building.as_data(), "notes": building.done}
        return {"indexing": None, "notes": search.notes}
    if not question.text.strip():
        raise QuestionRefused("What should I look for? For example: gepeto search wifi")
    if question.member is not None:
        return await _as_member(app, question, question.member)
    index = await search.current()
    building = index.building
    indexing = {"indexing": None if building is None else building.as_data()}
    if question.command == "search":
        hits = await index.search_async(question.text, question.k or DEFAULT_RESULTS)
        return {"hits": [hit.as_data() for hit in hits], **indexing}
    from knowledge import answers

    llm = app.llm
    chat = (lambda messages: llm.complete("chat", messages)) if llm else None
    also = await search.rewritten(question.text) if llm else ""
    k = question.k or DEFAULT_RESULTS
    said = await answers.ask(index, question.text, chat, k=k, also=also)
    return {"text": said.text, **indexing}


async def _as_member(app: AppContext, question: LocalRequest, name: str) -> dict[str, Any]:
    """Runs the question as the member's own tool call, so their role decides what it may do."""
    from bot.actions import Turn, run_action
    from bot.channels.console import console_message

    member = await app.family.find(name)
    if member is None:
        raise QuestionRefused(f"Nobody called {name} lives here.")
    limit = app.settings.safety.max_message_chars
    incoming = console_message(app.clock, member.name, question.text, max_chars=limit)
    turn = Turn(app=app, incoming=incoming, member=member)
    if question.command == "search":
        args: dict[str, Any] = {"query": question.text, "k": question.k}
        result = await run_action(turn, "knowledge.search", args)
    else:
        result = await run_action(turn, "knowledge.ask", {"question": question.text})
    if result.status != "done":
        raise QuestionRefused(result.text)
    indexing = {"indexing": result.data.get("indexing")}
    if question.command == "search":
        return {"hits": result.data.get("hits", []), **indexing}
    return {"text": result.text, **indexing}


class LocalSocket:
    """The running bot's side: one question per connection, one JSON answer back."""

    def __init__(
        self, app: AppContext, router: Router, outbox: Outbox, replies: ReplyCollector
    ) -> None:
        self._app = app
        self._router = router
        self._outbox = outbox
        self._replies = replies
        self._path = socket_path(app.settings.storage.data_dir)
        self._server: asyncio.Server | None = None

    async def start(self) -> None:
        path = self._path
        if len(os.fsencode(path)) > _MAX_SOCKET_PATH:
            log.warning(
                "not listening on %s: the path is too long for a socket; `gepeto search` "
                "will open the index itself (give storage.data_dir a shorter path)",
                path,
            )
            return
        path.parent.mkdir(mode=0o700, exist_ok=True)
        path.parent.chmod(0o700)
        # Left by a bot that died: `gepeto run` holds the data dir alone, so it is ours.
        path.unlink(missing_ok=True)
        self._server = await asyncio.start_unix_server(
            self._serve, path=str(path), limit=MAX_QUESTION_BYTES
        )
        path.chmod(0o600)
        log.info("answering `gepeto say`, `search` and `ask` on %s", path)

    async def close(self) -> None:
        if self._server is not None:
            self._server.close()
            await self._server.wait_closed()
            self._path.unlink(missing_ok=True)
            self._server = None

    async def _say(self, question: LocalRequest) -> dict[str, Any]:
        """The message handled as the member's own, answered as `gepeto say --json` prints it."""
        from bot.say import api_message

        app = self._app
        name = question.member
        if name is None:
            raise QuestionRefused("Say who is speaking: gepeto say --as NAME.")
        welcome = None
        if await app.family.is_empty():  # as `gepeto say` does on a new household
            await app.family.add(name, "parent")
            welcome = f"Welcome, {name}! You are the first parent of this household."
        member = await app.family.find(name)
        if member is None:
            raise QuestionRefused(f"Nobody called {name} lives here.")
        limit = app.settings.safety.max_message_chars
        incoming = api_message(app.clock, member, question.text, limit)
        said = await self._replies.say(self._router, self._outbox, incoming)
        return {**said, "welcome": welcome}

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            if not _same_user(writer):
                log.warning("refused a question on the local socket from another user")
                return
            try:
                question = LocalRequest.model_validate_json(await reader.readline())
                if question.command == "say":
                    reply = await self._say(question)
                else:
                    reply = await answer(self._app, question)
            except (ValidationError, ValueError):
                reply = {"error": "That question could not be read; please update gepeto."}
            except QuestionRefused as refused:
                reply = {"error": str(refused)}
            except Exception:
                log.exception("answering a question on the local socket failed")
                reply = {"error": "Something went wrong answering that; see the bot's log."}
            writer.write(json.dumps(reply, ensure_ascii=False).encode("utf-8") + b"\n")
            await writer.drain()
        finally:
            writer.close()
            with contextlib.suppress(ConnectionError):
                await writer.wait_closed()


def _same_user(writer: asyncio.StreamWriter) -> bool:
    """True when the caller runs as our user (Linux tells; elsewhere the 0700 folder guards)."""
    peer_credentials = getattr(socket, "SO_PEERCRED", None)
    connection = writer.get_extra_info("socket")
    if peer_credentials is None or connection is None:
        return True
    raw = connection.getsockopt(socket.SOL_SOCKET, peer_credentials, struct.calcsize("3i"))
    _pid, uid, _gid = struct.unpack("3i", raw)
    return bool(uid == os.getuid())
