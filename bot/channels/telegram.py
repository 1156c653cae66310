"""The Telegram channel: every update into the inbox before Telegram may forget it.

Polling drives getUpdates itself: the offset that confirms an update is only sent after
`router.receive` stored it, so a crash at any point means Telegram sends it again and the
inbox's unique key drops the copy. Webhook mode answers 200 only after the same step.
Any Bot-API-compatible server works (`[channels.telegram] api_base`); methods it lacks or
answers oddly (drafts, chat actions, the command menu) are skipped, never fatal. A token
Telegram refuses is: it raises ChannelFatal, which stops `gepeto run`.
"""

from __future__ import annotations

import asyncio
import contextlib
import hmac
import logging
import secrets
from collections.abc import AsyncGenerator, AsyncIterator, Awaitable, Callable, Iterable
from pathlib import Path
from typing import TypeVar
from urllib.parse import urlsplit

from aiogram import Bot
from aiogram.client.session.aiohttp import AiohttpSession
from aiogram.client.telegram import TelegramAPIServer
from aiogram.exceptions import (
    AiogramError,
    TelegramBadRequest,
    TelegramConflictError,
    TelegramForbiddenError,
    TelegramNotFound,
    TelegramRetryAfter,
    TelegramUnauthorizedError,
)
from aiogram.methods import GetUpdates
from aiogram.types import (
    BotCommand,
    BotCommandScopeAllGroupChats,
    BotCommandScopeChat,
    BotCommandScopeDefault,
    Update,
)
from aiogram.utils.token import TokenValidationError
from aiohttp import web
from pydantic import ValidationError

from bot.channels.supervisor import ChannelFatal
from bot.channels.telegram_delivery import TelegramDelivery
from bot.channels.telegram_stream import LoopPacing, Pacing, TelegramReplyStream, TelegramStreams
from bot.channels.telegram_updates import ALLOWED_UPDATES, CHANNEL, BotIdentity, UpdateReader
from bot.config import ConfigError
from bot.context import AppContext
from bot.http_server import HttpServer, RouteHandler
from bot.media import MediaTooLarge, MediaUnavailable, size_in_words, unavailable
from bot.messages import Attachment, Incoming, Reply
from bot.router import Router
from bot.tools import is_allowed

log = logging.getLogger(__name__)

T = TypeVar("T")
MenuScope = BotCommandScopeDefault | BotCommandScopeAllGroupChats | BotCommandScopeChat

POLL_TIMEOUT_S = 25
DOWNLOAD_TIMEOUT_S = 300
BOT_API_FILE_LIMIT = 20 * 1024 * 1024
"""The most Telegram's cloud Bot API hands to a bot (getFile answers "file is too big")."""
MAX_BACKOFF_S = 60.0
SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"
PAIR_COMMAND = BotCommand(
    command="pair", description="link your account with a code from a parent"
)


class TelegramChannel:
    """Receives Telegram updates into the router and delivers the outbox's replies."""

    name = CHANNEL

    def __init__(
        self,
        app: AppContext,
        token: str,
        *,
        webhook_secret: str | None = None,
        pacing: Pacing | None = None,
    ) -> None:
        self._app = app
        self._settings = app.settings.channels.telegram
        if self._settings.mode == "webhook" and not self._settings.webhook_url:
            raise ConfigError(
                'channels.telegram.webhook_url: required when mode = "webhook" (the public '
                "https address Telegram posts updates to)"
            )
        server = TelegramAPIServer.from_base(self._settings.api_base)
        try:
            self.bot = Bot(token, session=AiohttpSession(api=server))
        except TokenValidationError:
            raise ConfigError(
                "TELEGRAM_BOT_TOKEN: that is not a bot token (BotFather gives one like "
                "123456789:AAE...)"
            ) from None
        self._pacing = pacing or LoopPacing()
        self._streams = TelegramStreams(self.bot, self._pacing)
        self._delivery = TelegramDelivery(app, self.bot, self._streams)
        self._webhook_secret = webhook_secret or secrets.token_urlsafe(32)
        self._stopping = asyncio.Event()
        self.webhook_address: tuple[str, int] | None = None
        """Where the webhook server listens once it is up (its port when 0 was configured)."""
        self.connected = False
        """True while the Bot API server answers (for /readyz)."""
        self._http: HttpServer | None = None

    @classmethod
    def from_app(cls, app: AppContext) -> TelegramChannel:
        """The channel as `[channels.telegram]` and the environment configure it."""
        secrets_ = app.config.secrets
        if secrets_.telegram_bot_token is None:
            raise ConfigError("channels.telegram: TELEGRAM_BOT_TOKEN is not set")
        webhook_secret = secrets_.telegram_webhook_secret
        return cls(
            app,
            secrets_.telegram_bot_token.get_secret_value(),
            webhook_secret=webhook_secret.get_secret_value() if webhook_secret else None,
        )

    # ── the Channel contract ─────────────────────────────────────────────────────────────────

    async def run(self, router: Router) -> None:
        """Receives until stopped or cancelled; a token Telegram refuses is ChannelFatal."""
        work = asyncio.create_task(self._receive(router), name="telegram-receive")
        stopping = asyncio.create_task(self._stopping.wait(), name="telegram-stop")
        try:
            await asyncio.wait({work, stopping}, return_when=asyncio.FIRST_COMPLETED)
        finally:
            work.cancel()
            stopping.cancel()
            outcome, _ = await asyncio.gather(work, stopping, return_exceptions=True)
            self.connected = False
        if isinstance(outcome, TelegramUnauthorizedError):
            raise ChannelFatal(
                f"Telegram refused the bot token ({outcome.message}): check TELEGRAM_BOT_TOKEN "
                "(revoked or mistyped? BotFather's /token shows the current one)"
            ) from outcome
        if isinstance(outcome, Exception):
            raise outcome

    async def send(self, chat_id: str, reply: Reply, key: str) -> None:
        await self._delivery.send(chat_id, reply, key)

    async def fetch_media(self, attachment: Attachment) -> AsyncGenerator[bytes, None]:
        """The file's bytes from the Bot API server (getFile, then its file URL)."""
        try:
            found = await self.bot.get_file(attachment.file_id)
        except TelegramBadRequest as error:
            if "too big" in error.message.lower():
                raise MediaTooLarge(
                    f"Telegram only hands bots files up to {size_in_words(BOT_API_FILE_LIMIT)}"
                    " — please send a smaller one."
                ) from None
            raise MediaUnavailable(
                "Telegram no longer has that file — please send it again."
            ) from None
        if not found.file_path:
            raise unavailable(attachment.kind)
        api = self.bot.session.api
        if api.is_local:  # a local Bot API server shares its files on disk
            source = Path(api.wrap_local_file.to_local(found.file_path))
            with await asyncio.to_thread(source.open, "rb") as data:
                while piece := await asyncio.to_thread(data.read, 64 * 1024):
                    yield piece
            return
        pieces = self.bot.session.stream_content(
            api.file_url(self.bot.token, found.file_path), timeout=DOWNLOAD_TIMEOUT_S
        )
        async with contextlib.aclosing(pieces):
            async for piece in pieces:
                yield piece

    def open_stream(self, incoming: Incoming) -> TelegramReplyStream | None:
        """A reply that grows while the model writes; also shows "typing…" meanwhile."""
        return self._streams.open(incoming)

    def stop(self) -> None:
        """Ends `run` gracefully (what SIGTERM does through `serve`)."""
        self._stopping.set()

    def use_http_server(self, server: HttpServer) -> None:
        """The webhook's route goes on the process's shared HTTP server (`[http]`)."""
        self._http = server

    async def aclose(self) -> None:
        """Closes the connection to the Bot API server once nothing is left to deliver."""
        await self.bot.session.close()

    # ── receiving ────────────────────────────────────────────────────────────────────────────

    async def _receive(self, router: Router) -> None:
        me = await self._retrying(self.bot.get_me, "reach the Bot API server")
        identity = BotIdentity(id=me.id, username=me.username or "")
        self.connected = True
        log.info("Telegram: connected as @%s via %s", identity.username, self._settings.api_base)
        reader = UpdateReader(self._app, identity)
        # The menu is optional: a server that stalls or garbles it must not delay receiving.
        menu = asyncio.create_task(self._publish_menu(), name="telegram-menu")
        try:
            if self._settings.mode == "webhook":
                await self._serve_webhook(router, reader)
            else:
                await self._poll(router, reader)
        finally:
            menu.cancel()
            await asyncio.gather(menu, return_exceptions=True)

    async def _poll(self, router: Router, reader: UpdateReader) -> None:
        """getUpdates in a loop; the offset advances only past updates the inbox holds."""
        with contextlib.suppress(AiogramError):
            await self.bot.delete_webhook(drop_pending_updates=False)
        offset: int | None = None
        failures = 0
        while True:
            try:
                updates = await self.bot(
                    GetUpdates(
                        offset=offset,
                        timeout=POLL_TIMEOUT_S,
                        allowed_updates=list(ALLOWED_UPDATES),
                    ),
                    request_timeout=POLL_TIMEOUT_S + 15,
                )
            except TelegramRetryAfter as flood:
                await self._pacing.sleep(flood.retry_after)
                continue
            except TelegramUnauthorizedError:
                raise
            except AiogramError as error:
                failures += 1
                self.connected = False
                if isinstance(error, TelegramConflictError):
                    log.warning("another program polls with this bot token: %s", error.message)
                else:
                    log.warning("getUpdates failed (%s); trying again", error)
                await self._pacing.sleep(_backoff(failures))
                continue
            failures = 0
            self.connected = True
            incomings = [await self._read(reader, update) for update in updates]
            for update, incoming in zip(updates, incomings, strict=True):
                try:
                    await self._store(router, update, incoming)
                except Exception:
                    log.exception("could not store update %s; fetching it again", update.update_id)
                    failures += 1
                    await self._pacing.sleep(_backoff(failures))
                    break
                offset = update.update_id + 1

    async def _read(self, reader: UpdateReader, update: Update) -> Incoming | None:
        """The update as an Incoming; one that cannot be read is logged and skipped."""
        try:
            return await reader.read(update)
        except Exception:
            log.exception("could not read update %s; skipping it", update.update_id)
            return None

    async def _store(self, router: Router, update: Update, incoming: Incoming | None) -> None:
        """Stores the message in the inbox; after this Telegram may forget the update."""
        if incoming is not None:
            inbox_id = await router.receive(incoming)
            if inbox_id is not None:
                self._delivery.remember(inbox_id, incoming)
        if update.callback_query is not None:
            with contextlib.suppress(AiogramError):
                await self.bot.answer_callback_query(update.callback_query.id)

    async def _serve_webhook(self, router: Router, reader: UpdateReader) -> None:
        """An aiohttp server for Telegram's POSTs; each must carry the secret token."""

        async def on_update(request: web.Request) -> web.Response:
            given = request.headers.get(SECRET_HEADER, "")
            if not hmac.compare_digest(given.encode(), self._webhook_secret.encode()):
                log.warning(
                    "webhook request without the right secret token from %s", request.remote
                )
                return web.Response(status=401)
            try:
                update = Update.model_validate(await request.json(), context={"bot": self.bot})
            except (ValueError, ValidationError):
                return web.Response(status=400)
            try:
                await self._store(router, update, await self._read(reader, update))
            except Exception:
                log.exception(
                    "could not store update %s; Telegram will resend it", update.update_id
                )
                return web.Response(status=500)
            return web.Response(status=200)

        async def register() -> bool:
            return await self.bot.set_webhook(
                self._settings.webhook_url,
                secret_token=self._webhook_secret,
                allowed_updates=list(ALLOWED_UPDATES),
            )

        path = urlsplit(self._settings.webhook_url).path or "/"
        async with self._webhook_route(path, on_update):
            host, port = self.webhook_address or ("?", 0)
            log.info("Telegram webhook listening on %s:%s%s", host, port, path)
            await self._retrying(register, "register the webhook")
            await asyncio.Event().wait()

    @contextlib.asynccontextmanager
    async def _webhook_route(self, path: str, handler: RouteHandler) -> AsyncIterator[None]:
        """On the shared `[http]` server when there is one, else on its own at webhook_listen."""
        if self._http is not None:
            unmount = self._http.mount("POST", path, handler)
            self.webhook_address = self._http.address
            try:
                yield
            finally:
                unmount()
            return
        own = HttpServer(self._settings.webhook_listen)
        own.add("POST", path, handler)
        await own.start()
        self.webhook_address = own.address
        try:
            yield
        finally:
            await own.close()

    # ── the command menu ─────────────────────────────────────────────────────────────────────

    async def _publish_menu(self) -> None:
        """The command menu: what a stranger may send, and what each member may do."""
        try:
            menus = await self._menus()
        except Exception:
            log.exception("could not work out the command menu; there is none this time")
            return
        for scope, menu in menus:
            try:
                await self.bot.set_my_commands(menu, scope=scope)
            except TelegramNotFound:
                log.info("this Bot API server has no setMyCommands; no command menu")
                return
            except (TelegramBadRequest, TelegramForbiddenError) as error:
                log.info("no command menu for %s: %s", scope.type, error)
            except AiogramError as error:
                log.warning("setMyCommands failed (%s); no command menu this time", error)
                return

    async def _menus(self) -> list[tuple[MenuScope, list[BotCommand]]]:
        """Everyone: /start, /help, /pair. Groups and each member's own chat: their commands."""
        commands = {command.name: command for command in self._app.commands}

        def menu(names: Iterable[str]) -> list[BotCommand]:
            return [
                BotCommand(command=name, description=commands[name].usage.split(";")[0][:256])
                for name in names
            ]

        greeting = [name for name in ("start", "help") if name in commands]
        menus: list[tuple[MenuScope, list[BotCommand]]] = [
            (BotCommandScopeDefault(), [*menu(greeting), PAIR_COMMAND]),
            (BotCommandScopeAllGroupChats(), menu(list(commands))),
        ]
        for member in await self._app.family.members():
            permissions = self._app.permissions(member.role)
            allowed = [
                name
                for name, command in commands.items()
                if all(is_allowed(permissions, tool) for tool in command.tools)
            ]
            for address in await self._app.family.identities(member):
                channel, _, user_id = address.partition(":")
                if channel == CHANNEL and user_id.lstrip("-").isdigit():
                    menus.append((BotCommandScopeChat(chat_id=int(user_id)), menu(allowed)))
        return menus

    # ── helpers ──────────────────────────────────────────────────────────────────────────────

    async def _retrying(self, call: Callable[[], Awaitable[T]], what: str) -> T:
        """Calls until it works: the Bot API server may be down when the bot starts."""
        failures = 0
        while True:
            try:
                return await call()
            except TelegramUnauthorizedError:
                raise
            except TelegramRetryAfter as flood:
                await self._pacing.sleep(flood.retry_after)
            except AiogramError as error:
                failures += 1
                log.warning("could not %s (%s); trying again", what, error)
                await self._pacing.sleep(_backoff(failures))


def _backoff(failures: int) -> float:
    return min(MAX_BACKOFF_S, 2.0 ** min(failures, 6))
