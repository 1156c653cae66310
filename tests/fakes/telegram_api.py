"""A Telegram Bot API server on loopback that real aiogram polls, playing the family's side."""

from __future__ import annotations

import asyncio
import itertools
import mimetypes
import re
import time
from collections.abc import Awaitable, Callable
from http import HTTPStatus
from types import TracebackType
from typing import Any, Self, TypeVar
from urllib.parse import urlsplit

from aiohttp import BodyPartReader, web

from tests.fakes.telegram_wire import (
    CAPTION_KEYS,
    CAPTION_LIMIT,
    CHAT_ACTIONS,
    DEFAULT_UPDATE_KINDS,
    NOT_MODIFIED,
    TEXT_LIMIT,
    BotCall,
    BotMessage,
    Fault,
    HtmlMessage,
    JsonObject,
    MessageDraft,
    PushedUpdate,
    TelegramChat,
    TelegramError,
    TelegramFile,
    TelegramUser,
    bad_request,
    caption_fields,
    coerce,
    command_entities,
    commands_key,
    image_size,
    inline_markup,
    utf16_len,
)

__all__ = [
    "BotCall",
    "BotMessage",
    "FakeTelegram",
    "JsonObject",
    "MessageDraft",
    "PushedUpdate",
    "TelegramChat",
    "TelegramError",
    "TelegramFile",
    "TelegramUser",
]

T = TypeVar("T")

_Handler = Callable[[JsonObject, dict[str, TelegramFile]], Awaitable[Any]]


class FakeTelegram:
    """A Bot API server on 127.0.0.1: tests act as the family and read what the bot did."""

    def __init__(
        self,
        *,
        token: str = "123456789:AAFakeTokenForGepetoTests_0123456789",
        bot_username: str = "gepeto_bot",
        bot_name: str = "Gepeto",
        clock: Callable[[], float] | None = None,
        wall_clock: Callable[[], float] = time.time,
    ) -> None:
        self.token = token
        self.bot = TelegramUser(
            id=int(token.split(":")[0]), first_name=bot_name, username=bot_username, is_bot=True
        )
        self._clock = clock or (lambda: asyncio.get_running_loop().time())
        self._wall_clock = wall_clock
        self._runner: web.AppRunner | None = None
        self._url = ""
        self._changed = asyncio.Event()
        self._closing = False
        self._closed = asyncio.Event()
        self._chats: dict[int, TelegramChat] = {}
        self._blocked: set[int] = set()
        self._message_ids: dict[int, itertools.count[int]] = {}
        self._user_messages: dict[tuple[int, int], JsonObject] = {}
        self._bot_messages: dict[tuple[int, int], BotMessage] = {}
        self._read_upto: dict[int, int] = {}
        self._drafts: dict[tuple[int, int], MessageDraft] = {}
        self._files: dict[str, TelegramFile] = {}
        self._file_numbers = itertools.count(1)
        self._callbacks: dict[str, JsonObject] = {}
        self._callback_answers: dict[str, JsonObject] = {}
        self._callback_ids = itertools.count(4_000_000_001)
        self._updates: list[JsonObject] = []
        self._update_ids = itertools.count(700_000_001)
        self._allowed_updates: frozenset[str] = DEFAULT_UPDATE_KINDS
        self._poll_generation = 0
        self._webhook_url = ""
        self._commands: dict[tuple[str, str], list[JsonObject]] = {}
        self._calls: list[BotCall] = []
        self._faults: list[Fault] = []
        self._disabled: set[str] = set()
        self._handlers: dict[str, _Handler] = {
            "getme": self._get_me,
            "getupdates": self._get_updates,
            "sendmessage": self._send_message,
            "editmessagetext": self._edit_message_text,
            "editmessagereplymarkup": self._edit_message_reply_markup,
            "sendmessagedraft": self._send_message_draft,
            "answercallbackquery": self._answer_callback_query,
            "sendphoto": self._send_photo,
            "senddocument": self._send_document,
            "sendchataction": self._send_chat_action,
            "setmycommands": self._set_my_commands,
            "getmycommands": self._get_my_commands,
            "deletemycommands": self._delete_my_commands,
            "getfile": self._get_file,
            "deletewebhook": self._delete_webhook,
            "setwebhook": self._set_webhook,
            "getwebhookinfo": self._get_webhook_info,
            "close": self._acknowledge,
            "logout": self._acknowledge,
        }

    # ── lifecycle ─────────────────────────────────────────────────────────────────────────────

    @property
    def url(self) -> str:
        """Base URL for `TelegramAPIServer.from_base`."""
        if not self._url:
            raise RuntimeError("the fake Telegram server is not started")
        return self._url

    async def start(self) -> str:
        """Listen on a free loopback port and return the base URL."""
        app = web.Application(client_max_size=64 * 1024 * 1024)
        app.router.add_route("*", "/bot{token}/{method}", self._on_api)
        app.router.add_get("/file/bot{token}/{path:.+}", self._on_file)
        self._runner = web.AppRunner(
            app, handler_cancellation=True, access_log=None, shutdown_timeout=2.0
        )
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        host, port = self._runner.addresses[0][:2]
        self._url = f"http://{host}:{port}"
        return self._url

    async def close(self) -> None:
        """Answer waiting long polls and stop listening."""
        self._closing = True
        self._closed.set()
        self._pulse()
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    async def __aenter__(self) -> Self:
        await self.start()
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.close()

    # ── test controls: failures and missing methods ──────────────────────────────────────────

    def disable_method(self, method: str) -> None:
        """Answer `method` as a Bot API that does not have it ("method not found")."""
        self._disabled.add(method.lower())

    def enable_method(self, method: str) -> None:
        """Undo `disable_method`."""
        self._disabled.discard(method.lower())

    def fail_with_retry_after(
        self, method: str, retry_after: int, *, times: int = 1, chat_id: int | None = None
    ) -> None:
        """Answer the next `times` calls of `method` (in `chat_id` if given) with a 429."""
        self._faults.append(Fault(method.lower(), times, 429, chat_id, retry_after=retry_after))

    def fail_with_server_error(
        self, method: str, *, status: int = 500, times: int = 1, chat_id: int | None = None
    ) -> None:
        """Answer the next `times` calls of `method` with a 5xx error."""
        self._faults.append(Fault(method.lower(), times, status, chat_id))

    def drop_connection(self, method: str, *, times: int = 1, chat_id: int | None = None) -> None:
        """Cut the connection on the next `times` calls of `method`, answering nothing."""
        self._faults.append(Fault(method.lower(), times, 0, chat_id, drop=True))

    def answer_with_body(
        self,
        method: str,
        body: str,
        *,
        status: int = 200,
        content_type: str = "application/json",
        times: int = 1,
        chat_id: int | None = None,
    ) -> None:
        """Answer the next `times` calls of `method` with `body` as is, as an odd server might.

        For instance `{"error": "unsupported"}` (JSON, but not the Bot API's), or a proxy's
        HTML error page with `content_type="text/html"`.
        """
        fault = Fault(method.lower(), times, status, chat_id, body=body, content_type=content_type)
        self._faults.append(fault)

    def stall(self, method: str, *, times: int = 1, chat_id: int | None = None) -> None:
        """Leave the next `times` calls of `method` unanswered until the server closes."""
        self._faults.append(Fault(method.lower(), times, 0, chat_id, stall=True))

    def clear_faults(self) -> None:
        """Forget every injected failure that has not happened yet."""
        self._faults.clear()

    def block_bot(self, chat_id: int) -> None:
        """The person blocked the bot (or the group removed it): sends answer 403."""
        self._blocked.add(chat_id)

    def add_chat(self, chat: TelegramChat) -> None:
        """Make a chat known so the bot may write to it before anyone spoke there."""
        self._chats[chat.id] = chat

    # ── test side: family members act ────────────────────────────────────────────────────────

    def push_text(
        self,
        chat: TelegramChat,
        user: TelegramUser,
        text: str,
        *,
        reply_to: int | None = None,
        forward_from: TelegramUser | str | None = None,
        entities: list[JsonObject] | None = None,
    ) -> PushedUpdate:
        """A member writes `text`; /commands (also /cmd@bot) get `bot_command` entities."""
        content: JsonObject = {"text": text, "entities": entities or command_entities(text)}
        if forward_from is not None:
            content["forward_origin"] = self._origin(forward_from)
        return self._push_message(chat, user, content, reply_to)

    def push_voice(
        self,
        chat: TelegramChat,
        user: TelegramUser,
        data: bytes,
        *,
        duration: int = 3,
        mime_type: str = "audio/ogg",
        reply_to: int | None = None,
    ) -> PushedUpdate:
        """A member sends a voice note whose bytes the bot can download."""
        file = self._store_file(data, "voice", ".oga", mime_type=mime_type)
        voice = self._file_api(file) | {"duration": duration, "mime_type": mime_type}
        return self._push_message(chat, user, {"voice": voice}, reply_to)

    def push_audio(
        self,
        chat: TelegramChat,
        user: TelegramUser,
        data: bytes,
        *,
        file_name: str = "audio.mp3",
        mime_type: str = "audio/mpeg",
        duration: int = 3,
        caption: str | None = None,
    ) -> PushedUpdate:
        """A member sends an audio file (music, a recording shared from another app)."""
        file = self._store_file(data, "music", file_name, file_name=file_name, mime_type=mime_type)
        audio = self._file_api(file) | {"duration": duration}
        return self._push_message(chat, user, {"audio": audio, **caption_fields(caption)}, None)

    def push_photo(
        self, chat: TelegramChat, user: TelegramUser, data: bytes, *, caption: str | None = None
    ) -> PushedUpdate:
        """A member sends a photo (bytes of a real image, e.g. a receipt)."""
        width, height = image_size(data)
        file = self._store_file(data, "photos", ".jpg")
        size = self._file_api(file) | {"width": width, "height": height}
        return self._push_message(chat, user, {"photo": [size], **caption_fields(caption)}, None)

    def push_document(
        self,
        chat: TelegramChat,
        user: TelegramUser,
        data: bytes,
        *,
        file_name: str,
        mime_type: str | None = None,
        caption: str | None = None,
    ) -> PushedUpdate:
        """A member sends a file as a document."""
        mime = mime_type or mimetypes.guess_type(file_name)[0] or "application/octet-stream"
        file = self._store_file(data, "documents", file_name, file_name=file_name, mime_type=mime)
        document = self._file_api(file)
        return self._push_message(
            chat, user, {"document": document, **caption_fields(caption)}, None
        )

    def push_callback(
        self, chat: TelegramChat, user: TelegramUser, message_id: int, data: str
    ) -> PushedUpdate:
        """A member presses an inline button under a message the bot sent."""
        message = self._bot_messages.get((chat.id, message_id))
        if message is None:
            raise ValueError(f"the bot sent no message {message_id} in chat {chat.id}")
        query_id = str(next(self._callback_ids))
        query: JsonObject = {
            "id": query_id,
            "from": user.to_api(),
            "message": self._message_api(message),
            "chat_instance": str(abs(chat.id) * 7 + 3),
            "data": data,
        }
        self._callbacks[query_id] = query
        update = self._push_update("callback_query", query)
        return PushedUpdate(update["update_id"], update, message_id, query_id)

    def push_edited_text(
        self, chat: TelegramChat, user: TelegramUser, message_id: int, text: str
    ) -> PushedUpdate:
        """A member edits a text message they wrote earlier."""
        message = self._user_messages.get((chat.id, message_id))
        if message is None or message["from"]["id"] != user.id:
            raise ValueError(f"{user.first_name} wrote no message {message_id} in chat {chat.id}")
        message |= {"text": text, "entities": command_entities(text)}
        message["edit_date"] = int(self._wall_clock())
        update = self._push_update("edited_message", dict(message))
        return PushedUpdate(update["update_id"], update, message_id)

    # ── test side: what the bot did ──────────────────────────────────────────────────────────

    def sent_messages(self, chat_id: int) -> list[BotMessage]:
        """Every message the bot sent to the chat, in their current (edited) state."""
        found = [m for (chat, _), m in self._bot_messages.items() if chat == chat_id]
        return sorted(found, key=lambda message: message.message_id)

    def calls(self, method: str | None = None, *, chat_id: int | None = None) -> list[BotCall]:
        """Requests the bot made, oldest first, optionally of one method and one chat."""
        return [
            call
            for call in self._calls
            if (method is None or call.method.lower() == method.lower())
            and (chat_id is None or call.chat_id == chat_id)
        ]

    def drafts(self, chat_id: int) -> list[MessageDraft]:
        """Streamed drafts in the chat; `live` is False once the bot sent a message there."""
        return [draft for (chat, _), draft in self._drafts.items() if chat == chat_id]

    def callback_answer(self, callback_query_id: str) -> JsonObject | None:
        """The bot's `answerCallbackQuery` parameters for a button press, if it answered."""
        return self._callback_answers.get(callback_query_id)

    def bot_commands(
        self, scope: JsonObject | None = None, language_code: str = ""
    ) -> list[JsonObject]:
        """The command menu the bot set for a scope and language."""
        return list(self._commands.get(commands_key(scope, language_code), []))

    def pending_updates(self) -> list[JsonObject]:
        """Updates the bot has not confirmed yet."""
        return list(self._updates)

    @property
    def webhook_url(self) -> str:
        """The webhook the bot set ('' when it polls)."""
        return self._webhook_url

    # `timeout` mirrors asyncio.wait_for: a bounded wait is the point of these two helpers.
    async def wait_for(
        self,
        predicate: Callable[[], T | None],
        timeout: float = 5.0,  # noqa: ASYNC109
    ) -> T:
        """Wait until `predicate()` is truthy (re-checked on every change) and return it."""
        try:
            async with asyncio.timeout(timeout):
                while True:
                    changed = self._changed
                    if result := predicate():
                        return result
                    await changed.wait()
        except TimeoutError:
            recent = [f"{call.method}→{call.status}" for call in self._calls[-8:]]
            raise TimeoutError(
                f"nothing matched within {timeout} s; last calls: {recent}"
            ) from None

    async def wait_for_message(
        self,
        chat_id: int,
        timeout: float = 5.0,  # noqa: ASYNC109
    ) -> BotMessage:
        """The next bot message in the chat that this method has not returned before."""

        def next_unread() -> BotMessage | None:
            seen = self._read_upto.get(chat_id, 0)
            return next((m for m in self.sent_messages(chat_id) if m.message_id > seen), None)

        message = await self.wait_for(next_unread, timeout)
        self._read_upto[chat_id] = message.message_id
        return message

    # ── HTTP ─────────────────────────────────────────────────────────────────────────────────

    async def _on_api(self, request: web.Request) -> web.StreamResponse:
        if request.match_info["token"] != self.token:
            return TelegramError(401, "Unauthorized").response()
        name = request.match_info["method"]
        params, uploads = await self._read_params(request)
        chat_id = params.get("chat_id")
        if not isinstance(chat_id, int):
            query = self._callbacks.get(str(params.get("callback_query_id")))
            chat_id = query["message"]["chat"]["id"] if query else None
        call = BotCall(name, params, chat_id, self._clock(), uploads)
        self._calls.append(call)
        self._pulse()
        status = 0
        try:
            response = await self._answer(name.lower(), call, request)
            status = response.status
            return response
        finally:
            call.status = status
            self._pulse()

    async def _answer(self, method: str, call: BotCall, request: web.Request) -> web.Response:
        for fault in self._faults:
            if fault.method == method and fault.chat_id in (None, call.chat_id):
                fault.remaining -= 1
                self._faults = [f for f in self._faults if f.remaining > 0]
                if fault.stall:
                    await self._closed.wait()
                if fault.drop or fault.stall:
                    # A cancelled handler is a vanished peer to aiohttp: nothing gets written.
                    if request.transport is not None:
                        request.transport.abort()
                    raise asyncio.CancelledError
                if fault.body is not None:
                    return web.Response(
                        status=fault.status, text=fault.body, content_type=fault.content_type
                    )
                if fault.retry_after is not None:
                    description = f"Too Many Requests: retry after {fault.retry_after}"
                    return TelegramError(429, description, fault.retry_after).response()
                return TelegramError(fault.status, HTTPStatus(fault.status).phrase).response()
        handler = self._handlers.get(method)
        if handler is None or method in self._disabled:
            return TelegramError(404, "Not Found: method not found").response()
        try:
            result = await handler(call.params, call.uploads)
        except TelegramError as error:
            return error.response()
        return web.json_response({"ok": True, "result": result})

    async def _on_file(self, request: web.Request) -> web.Response:
        path = request.match_info["path"]
        file = next((f for f in self._files.values() if f.file_path == path), None)
        if request.match_info["token"] != self.token or file is None:
            return TelegramError(404, "Not Found").response()
        content_type = file.mime_type or "application/octet-stream"
        return web.Response(body=file.data, content_type=content_type)

    async def _read_params(
        self, request: web.Request
    ) -> tuple[JsonObject, dict[str, TelegramFile]]:
        raw: JsonObject = dict(request.query)
        uploads: dict[str, TelegramFile] = {}
        if request.content_type == "application/json":
            body = await request.json()
            raw |= body if isinstance(body, dict) else {}
        elif request.content_type == "multipart/form-data":
            async for part in await request.multipart():
                if not isinstance(part, BodyPartReader) or part.name is None:
                    continue
                if part.filename is None:
                    raw[part.name] = await part.text()
                    continue
                data = bytes(await part.read())
                mime = mimetypes.guess_type(part.filename)[0] or "application/octet-stream"
                uploads[part.name] = self._store_file(
                    data, "documents", part.filename, file_name=part.filename, mime_type=mime
                )
        elif request.body_exists:
            raw |= {key: value for key, value in (await request.post()).items()}
        return {key: coerce(key, value) for key, value in raw.items()}, uploads

    # ── Bot API methods ──────────────────────────────────────────────────────────────────────

    async def _get_me(self, p: JsonObject, uploads: dict[str, TelegramFile]) -> Any:
        return self.bot.to_api() | {"can_join_groups": True, "can_read_all_group_messages": False}

    async def _get_updates(self, p: JsonObject, uploads: dict[str, TelegramFile]) -> Any:
        if isinstance(kinds := p.get("allowed_updates"), list):
            self._allowed_updates = frozenset(kinds) or DEFAULT_UPDATE_KINDS
        offset = p.get("offset")
        if isinstance(offset, int) and offset < 0:
            self._updates = self._updates[offset:]
        elif isinstance(offset, int):
            self._updates = [u for u in self._updates if u["update_id"] >= offset]
        limit = min(max(int(p.get("limit") or 100), 1), 100)
        loop = asyncio.get_running_loop()
        deadline = loop.time() + max(int(p.get("timeout") or 0), 0)
        self._poll_generation += 1
        generation = self._poll_generation
        while True:
            changed = self._changed
            if self._webhook_url:
                raise TelegramError(
                    409,
                    "Conflict: can't use getUpdates method while webhook is active;"
                    " use deleteWebhook to delete the webhook first",
                )
            if generation != self._poll_generation:
                raise TelegramError(
                    409,
                    "Conflict: terminated by other getUpdates request;"
                    " make sure that only one bot instance is running",
                )
            self._updates = [u for u in self._updates if self._allowed_updates & u.keys()]
            if self._updates or self._closing or loop.time() >= deadline:
                return self._updates[:limit]
            try:
                async with asyncio.timeout_at(deadline):
                    await changed.wait()
            except TimeoutError:
                return self._updates[:limit]

    async def _send_message(self, p: JsonObject, uploads: dict[str, TelegramFile]) -> Any:
        chat = self._target_chat(p)
        text, entities = self._formatted(p, "text", "entities", TEXT_LIMIT)
        if text is None:
            raise bad_request("message text is empty")
        message = self._new_bot_message(chat, p, text, entities, source=p.get("text"))
        return self._message_api(message)

    async def _edit_message_text(self, p: JsonObject, uploads: dict[str, TelegramFile]) -> Any:
        message = self._editable(p)
        if message.kind != "text":
            raise bad_request("there is no text in the message to edit")
        text, entities = self._formatted(p, "text", "entities", TEXT_LIMIT)
        if text is None:
            raise bad_request("message text is empty")
        markup = inline_markup(p.get("reply_markup"))
        if (text, entities, markup) == (message.text, message.entities, message.reply_markup):
            raise bad_request(NOT_MODIFIED.removeprefix("Bad Request: "))
        message.text, message.entities, message.reply_markup = text, entities, markup
        message.source_text, message.parse_mode = p.get("text"), p.get("parse_mode")
        message.history.append(text)
        message.edit_date = int(self._wall_clock())
        return self._message_api(message)

    async def _edit_message_reply_markup(
        self, p: JsonObject, uploads: dict[str, TelegramFile]
    ) -> Any:
        message = self._editable(p)
        markup = inline_markup(p.get("reply_markup"))
        if markup == message.reply_markup:
            raise bad_request(NOT_MODIFIED.removeprefix("Bad Request: "))
        message.reply_markup = markup
        message.edit_date = int(self._wall_clock())
        return self._message_api(message)

    async def _send_message_draft(self, p: JsonObject, uploads: dict[str, TelegramFile]) -> Any:
        chat = self._target_chat(p)
        if chat.type != "private":
            raise bad_request("TEXTDRAFT_PEER_INVALID")
        draft_id = p.get("draft_id")
        if not isinstance(draft_id, int) or draft_id == 0:
            raise bad_request("draft_id must be non-zero")
        text, entities = self._formatted(p, "text", "entities", TEXT_LIMIT)
        draft = self._drafts.get((chat.id, draft_id))
        if draft is None or not draft.live:
            draft = self._drafts[(chat.id, draft_id)] = MessageDraft(chat.id, draft_id, "", [])
        draft.text, draft.entities = text or "", entities
        draft.history.append(draft.text)
        return True

    async def _answer_callback_query(self, p: JsonObject, uploads: dict[str, TelegramFile]) -> Any:
        query_id = str(p.get("callback_query_id"))
        if query_id not in self._callbacks or query_id in self._callback_answers:
            raise bad_request(
                "query is too old and response timeout expired or query ID is invalid"
            )
        self._callback_answers[query_id] = dict(p)
        return True

    async def _send_photo(self, p: JsonObject, uploads: dict[str, TelegramFile]) -> Any:
        chat = self._target_chat(p)
        file = self._input_file(p, uploads, "photo")
        try:
            width, height = image_size(file.data)
        except ValueError:
            raise bad_request("IMAGE_PROCESS_FAILED") from None
        return self._send_media(chat, p, "photo", file, {"width": width, "height": height})

    async def _send_document(self, p: JsonObject, uploads: dict[str, TelegramFile]) -> Any:
        chat = self._target_chat(p)
        file = self._input_file(p, uploads, "document")
        return self._send_media(chat, p, "document", file, {})

    async def _send_chat_action(self, p: JsonObject, uploads: dict[str, TelegramFile]) -> Any:
        self._target_chat(p)
        if p.get("action") not in CHAT_ACTIONS:
            raise bad_request("wrong parameter action in request")
        return True

    async def _set_my_commands(self, p: JsonObject, uploads: dict[str, TelegramFile]) -> Any:
        commands = p.get("commands")
        if not isinstance(commands, list):
            raise bad_request("can't parse commands JSON object")
        for command in commands:
            if not re.fullmatch(r"[a-z0-9_]{1,32}", str(command.get("command", ""))):
                raise bad_request("BOT_COMMAND_INVALID")
            if not 1 <= len(str(command.get("description", ""))) <= 256:
                raise bad_request("command description must be non-empty")
        key = commands_key(p.get("scope"), str(p.get("language_code") or ""))
        self._commands[key] = [dict(command) for command in commands]
        return True

    async def _get_my_commands(self, p: JsonObject, uploads: dict[str, TelegramFile]) -> Any:
        return self.bot_commands(p.get("scope"), str(p.get("language_code") or ""))

    async def _delete_my_commands(self, p: JsonObject, uploads: dict[str, TelegramFile]) -> Any:
        self._commands.pop(commands_key(p.get("scope"), str(p.get("language_code") or "")), None)
        return True

    async def _get_file(self, p: JsonObject, uploads: dict[str, TelegramFile]) -> Any:
        file = self._files.get(str(p.get("file_id")))
        if file is None:
            raise bad_request("invalid file_id")
        return {
            "file_id": file.file_id,
            "file_unique_id": file.file_unique_id,
            "file_size": len(file.data),
            "file_path": file.file_path,
        }

    async def _delete_webhook(self, p: JsonObject, uploads: dict[str, TelegramFile]) -> Any:
        self._webhook_url = ""
        if p.get("drop_pending_updates"):
            self._updates.clear()
        return True

    async def _set_webhook(self, p: JsonObject, uploads: dict[str, TelegramFile]) -> Any:
        self._webhook_url = str(p.get("url") or "")
        self._pulse()
        return True

    async def _get_webhook_info(self, p: JsonObject, uploads: dict[str, TelegramFile]) -> Any:
        return {
            "url": self._webhook_url,
            "has_custom_certificate": False,
            "pending_update_count": len(self._updates),
        }

    async def _acknowledge(self, p: JsonObject, uploads: dict[str, TelegramFile]) -> Any:
        return True

    # ── internals ────────────────────────────────────────────────────────────────────────────

    def _pulse(self) -> None:
        """Wake everything waiting for a change (long polls, `wait_for`)."""
        self._changed.set()
        self._changed = asyncio.Event()

    def _next_message_id(self, chat_id: int) -> int:
        return next(self._message_ids.setdefault(chat_id, itertools.count(1)))

    def _push_update(self, kind: str, payload: JsonObject) -> JsonObject:
        update = {"update_id": next(self._update_ids), kind: payload}
        self._updates.append(update)
        self._pulse()
        return update

    def _push_message(
        self, chat: TelegramChat, user: TelegramUser, content: JsonObject, reply_to: int | None
    ) -> PushedUpdate:
        self._chats[chat.id] = chat
        message_id = self._next_message_id(chat.id)
        message: JsonObject = {
            "message_id": message_id,
            "from": user.to_api(),
            "chat": chat.to_api(),
            "date": int(self._wall_clock()),
        }
        message |= {key: value for key, value in content.items() if value}
        if reply_to is not None:
            replied = self._message_json(chat.id, reply_to)
            if replied is None:
                raise ValueError(f"there is no message {reply_to} in chat {chat.id}")
            message["reply_to_message"] = replied
        self._user_messages[(chat.id, message_id)] = message
        update = self._push_update("message", dict(message))
        return PushedUpdate(update["update_id"], update, message_id)

    def _origin(self, source: TelegramUser | str) -> JsonObject:
        date = int(self._wall_clock()) - 3600
        if isinstance(source, TelegramUser):
            return {"type": "user", "date": date, "sender_user": source.to_api()}
        return {"type": "hidden_user", "date": date, "sender_user_name": source}

    def _store_file(
        self,
        data: bytes,
        folder: str,
        suffix: str,
        *,
        file_name: str | None = None,
        mime_type: str | None = None,
    ) -> TelegramFile:
        number = next(self._file_numbers)
        extension = suffix if suffix.startswith(".") else "." + suffix.rpartition(".")[2]
        file = TelegramFile(
            file_id=f"AgAC{number:06d}fake",
            file_unique_id=f"AQAD{number:06d}",
            file_path=f"{folder}/file_{number}{extension}",
            data=data,
            file_name=file_name,
            mime_type=mime_type,
        )
        self._files[file.file_id] = file
        return file

    @staticmethod
    def _file_api(file: TelegramFile) -> JsonObject:
        data: JsonObject = {"file_id": file.file_id, "file_unique_id": file.file_unique_id}
        data["file_size"] = len(file.data)
        if file.file_name is not None:
            data["file_name"] = file.file_name
        if file.mime_type is not None:
            data["mime_type"] = file.mime_type
        return data

    def _message_json(self, chat_id: int, message_id: int) -> JsonObject | None:
        if (sent := self._bot_messages.get((chat_id, message_id))) is not None:
            return self._message_api(sent, nested=True)
        found = self._user_messages.get((chat_id, message_id))
        return (
            None if found is None else {k: v for k, v in found.items() if k != "reply_to_message"}
        )

    def _message_api(self, message: BotMessage, *, nested: bool = False) -> JsonObject:
        data: JsonObject = {
            "message_id": message.message_id,
            "from": self.bot.to_api(),
            "chat": message.chat.to_api(),
            "date": message.date,
        }
        if message.edit_date is not None:
            data["edit_date"] = message.edit_date
        if message.reply_to_message_id is not None and not nested:
            replied = self._message_json(message.chat.id, message.reply_to_message_id)
            if replied is not None:
                data["reply_to_message"] = replied
        text_key, entities_key = ("text", "entities") if message.kind == "text" else CAPTION_KEYS
        if message.file is not None:
            data[message.kind] = self._media_api(message)
        if message.text:
            data[text_key] = message.text
        if message.entities:
            data[entities_key] = message.entities
        if message.reply_markup is not None:
            data["reply_markup"] = message.reply_markup
        return data

    @staticmethod
    def _media_api(message: BotMessage) -> Any:
        assert message.file is not None
        described = FakeTelegram._file_api(message.file)
        if message.kind == "photo":
            width, height = image_size(message.file.data)
            described.pop("file_name", None)
            described.pop("mime_type", None)
            return [described | {"width": width, "height": height}]
        return described

    def _target_chat(self, p: JsonObject) -> TelegramChat:
        chat_id = p.get("chat_id")
        if chat_id is None or chat_id == "":
            raise bad_request("chat_id is empty")
        chat = self._chats.get(chat_id) if isinstance(chat_id, int) else None
        if chat is None:
            raise bad_request("chat not found")
        if chat.id in self._blocked:
            reason = "bot was blocked by the user" if chat.type == "private" else "bot was kicked"
            raise TelegramError(403, f"Forbidden: {reason}")
        return chat

    def _editable(self, p: JsonObject) -> BotMessage:
        chat = self._target_chat(p)
        message_id = p.get("message_id")
        message = self._bot_messages.get(
            (chat.id, message_id if isinstance(message_id, int) else 0)
        )
        if message is None:
            if (chat.id, message_id) in self._user_messages:
                raise bad_request("message can't be edited")
            raise bad_request("message to edit not found")
        return message

    def _formatted(
        self, p: JsonObject, text_key: str, entities_key: str, limit: int
    ) -> tuple[str | None, list[JsonObject]]:
        source = p.get(text_key)
        if source is None or source == "":
            return None, []
        mode = p.get("parse_mode")
        if isinstance(mode, str) and mode.lower() == "html":
            text, entities = HtmlMessage(str(source)).parse()
        else:
            text, given = str(source), p.get(entities_key)
            if given is not None and not isinstance(given, list):
                raise bad_request(f"can't parse {entities_key} JSON object")
            entities = [dict(entity) for entity in given or []]
            for entity in entities:
                _check_entity_url(entity)
        if not text.strip():
            raise bad_request("text must be non-empty")
        if utf16_len(text) > limit:
            kind = "message" if limit == TEXT_LIMIT else "message caption"
            raise bad_request(f"{kind} is too long")
        return text, entities

    def _reply_target(self, chat: TelegramChat, p: JsonObject) -> int | None:
        target: Any = p.get("reply_to_message_id")
        allow = bool(p.get("allow_sending_without_reply"))
        if isinstance(reply := p.get("reply_parameters"), dict):
            target = reply.get("message_id")
            allow = bool(reply.get("allow_sending_without_reply"))
        if target is None:
            return None
        if self._message_json(chat.id, int(target)) is None:
            if allow:
                return None
            raise bad_request("message to be replied not found")
        return int(target)

    def _new_bot_message(
        self,
        chat: TelegramChat,
        p: JsonObject,
        text: str | None,
        entities: list[JsonObject],
        *,
        source: Any,
        kind: str = "text",
        file: TelegramFile | None = None,
    ) -> BotMessage:
        reply_to = self._reply_target(chat, p)
        message = BotMessage(
            chat=chat,
            message_id=self._next_message_id(chat.id),
            date=int(self._wall_clock()),
            text=text,
            entities=entities,
            source_text=source,
            parse_mode=p.get("parse_mode"),
            reply_markup=inline_markup(p.get("reply_markup")),
            reply_to_message_id=reply_to,
            kind=kind,
            file=file,
            history=[text],
        )
        self._bot_messages[(chat.id, message.message_id)] = message
        for draft in self.drafts(chat.id):
            draft.live = False
        return message

    def _input_file(
        self, p: JsonObject, uploads: dict[str, TelegramFile], key: str
    ) -> TelegramFile:
        value = p.get(key)
        if isinstance(value, str) and value.startswith("attach://"):
            value = uploads.get(value.removeprefix("attach://"))
        elif value is None:
            value = uploads.get(key)
        elif isinstance(value, str):
            value = self._files.get(value)
            if value is None:
                raise bad_request("wrong file identifier/HTTP URL specified")
        if not isinstance(value, TelegramFile):
            raise bad_request(f"there is no {key} in the request")
        return value

    def _send_media(
        self, chat: TelegramChat, p: JsonObject, kind: str, file: TelegramFile, extra: JsonObject
    ) -> JsonObject:
        caption, entities = self._formatted(p, "caption", "caption_entities", CAPTION_LIMIT)
        message = self._new_bot_message(
            chat, p, caption, entities, source=p.get("caption"), kind=kind, file=file
        )
        return self._message_api(message)


def _check_entity_url(entity: JsonObject) -> None:
    """The Bot API refuses a text_link whose URL is not a web, tg or mailto address."""
    if entity.get("type") != "text_link":
        return
    url = urlsplit(str(entity.get("url", "")))
    if url.scheme in ("http", "https") and not url.hostname:
        raise bad_request("can't parse entities: wrong HTTP URL specified")
    if url.scheme not in ("http", "https", "tg", "mailto"):
        raise bad_request("can't parse entities: unsupported URL protocol")
