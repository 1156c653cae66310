"""The Bot API's wire for the fake server: its objects, its HTML parser and its form fields."""

from __future__ import annotations

import io
import itertools
import json
import re
from dataclasses import dataclass, field
from html.parser import HTMLParser
from typing import Any, ClassVar

from aiohttp import web
from PIL import Image, UnidentifiedImageError

JsonObject = dict[str, Any]

JSON_FIELDS = frozenset(
    {"reply_markup", "entities", "caption_entities", "reply_parameters", "allowed_updates"}
    | {"commands", "scope", "link_preview_options"}
)
INT_FIELDS = frozenset(
    {"chat_id", "message_id", "offset", "limit", "timeout", "draft_id", "message_thread_id"}
    | {"reply_to_message_id", "cache_time", "max_connections", "duration"}
)
BOOL_FIELDS = frozenset(
    {"disable_notification", "protect_content", "show_alert", "can_stop", "keep_on_stop"}
    | {"drop_pending_updates", "allow_sending_without_reply", "disable_web_page_preview"}
    | {"has_spoiler", "disable_content_type_detection", "show_caption_above_media"}
)
# What the server sends when allowed_updates was never given or given as an empty list.
DEFAULT_UPDATE_KINDS = frozenset(
    {"message", "edited_message", "channel_post", "edited_channel_post", "callback_query"}
    | {"inline_query", "chosen_inline_result", "shipping_query", "pre_checkout_query"}
    | {"poll", "poll_answer", "my_chat_member", "chat_join_request", "business_message"}
)
CHAT_ACTIONS = frozenset(
    {"typing", "upload_photo", "record_video", "upload_video", "record_voice", "upload_voice"}
    | {"upload_document", "choose_sticker", "find_location", "record_video_note"}
    | {"upload_video_note"}
)
COMMAND = re.compile(r"(?<![\w/])/[A-Za-z0-9_]{1,32}(?:@[A-Za-z0-9_]{3,32})?")
TEXT_LIMIT = 4096
CAPTION_LIMIT = 1024
NOT_MODIFIED = (
    "Bad Request: message is not modified: specified new message content and reply markup"
    " are exactly the same as a current content and reply markup of the message"
)


def utf16_len(text: str) -> int:
    """Telegram measures offsets and lengths in UTF-16 code units."""
    return len(text.encode("utf-16-le")) // 2


@dataclass(frozen=True)
class TelegramUser:
    """A person (or the bot) as Telegram describes them."""

    id: int
    first_name: str
    username: str | None = None
    last_name: str | None = None
    language_code: str | None = "en"
    is_bot: bool = False

    def to_api(self) -> JsonObject:
        """The `User` object of the Bot API."""
        data: JsonObject = {"id": self.id, "is_bot": self.is_bot, "first_name": self.first_name}
        for key in ("last_name", "username", "language_code"):
            if (value := getattr(self, key)) is not None:
                data[key] = value
        return data


@dataclass(frozen=True)
class TelegramChat:
    """A private chat or a family group as Telegram describes it."""

    id: int
    type: str = "private"
    title: str | None = None
    username: str | None = None
    first_name: str | None = None

    @classmethod
    def private_with(cls, user: TelegramUser) -> TelegramChat:
        """The private chat between the bot and one person."""
        return cls(id=user.id, username=user.username, first_name=user.first_name)

    @classmethod
    def group(cls, chat_id: int, title: str, *, supergroup: bool = True) -> TelegramChat:
        """A family group; Telegram gives supergroups ids like -100…."""
        return cls(id=chat_id, type="supergroup" if supergroup else "group", title=title)

    def to_api(self) -> JsonObject:
        """The `Chat` object of the Bot API."""
        data: JsonObject = {"id": self.id, "type": self.type}
        for key in ("title", "username", "first_name"):
            if (value := getattr(self, key)) is not None:
                data[key] = value
        return data


@dataclass(frozen=True)
class TelegramFile:
    """A file the server holds: uploaded by the bot or sent by a family member."""

    file_id: str
    file_unique_id: str
    file_path: str
    data: bytes
    file_name: str | None = None
    mime_type: str | None = None


@dataclass
class BotCall:
    """One request the bot made, kept for behaviour and flood-control assertions."""

    method: str
    params: JsonObject
    chat_id: int | None
    at: float
    uploads: dict[str, TelegramFile] = field(default_factory=dict)
    status: int | None = None
    """HTTP status of the answer; None while in flight, 0 when the answer never came."""


@dataclass
class BotMessage:
    """The current state of a message the bot sent, as the family sees it."""

    chat: TelegramChat
    message_id: int
    date: int
    text: str | None
    entities: list[JsonObject]
    source_text: str | None
    parse_mode: str | None
    reply_markup: JsonObject | None
    reply_to_message_id: int | None = None
    kind: str = "text"
    file: TelegramFile | None = None
    edit_date: int | None = None
    history: list[str | None] = field(default_factory=list)

    @property
    def buttons(self) -> list[list[JsonObject]]:
        """The inline keyboard rows under the message (empty when there are none)."""
        return list((self.reply_markup or {}).get("inline_keyboard", []))


@dataclass
class MessageDraft:
    """A streamed draft (`sendMessageDraft`) shown in a private chat."""

    chat_id: int
    draft_id: int
    text: str
    entities: list[JsonObject]
    history: list[str] = field(default_factory=list)
    live: bool = True


@dataclass(frozen=True)
class PushedUpdate:
    """What a test pushed as a family member, with the ids it needs later."""

    update_id: int
    update: JsonObject
    message_id: int
    callback_query_id: str | None = None


@dataclass
class Fault:
    method: str
    remaining: int
    status: int
    chat_id: int | None = None
    retry_after: int | None = None
    drop: bool = False
    stall: bool = False
    body: str | None = None
    content_type: str = "application/json"


class TelegramError(Exception):
    """An error answer of the Bot API, raised inside the fake's method handlers."""

    def __init__(self, status: int, description: str, retry_after: int | None = None) -> None:
        super().__init__(description)
        self.status = status
        self.description = description
        self.retry_after = retry_after

    def response(self) -> web.Response:
        """The JSON the real server answers with."""
        body: JsonObject = {
            "ok": False,
            "error_code": self.status,
            "description": self.description,
        }
        if self.retry_after is not None:
            body["parameters"] = {"retry_after": self.retry_after}
        return web.json_response(body, status=self.status)


def bad_request(description: str) -> TelegramError:
    return TelegramError(400, f"Bad Request: {description}")


class HtmlMessage(HTMLParser):
    """Turns Telegram-flavoured HTML into plain text and entities, as the server does."""

    _SIMPLE: ClassVar[dict[str, str]] = {
        "b": "bold", "strong": "bold", "i": "italic", "em": "italic", "u": "underline",
        "ins": "underline", "s": "strikethrough", "strike": "strikethrough",
        "del": "strikethrough", "tg-spoiler": "spoiler", "pre": "pre",
    }  # fmt: skip

    def __init__(self, source: str) -> None:
        super().__init__(convert_charrefs=True)
        self.source = source
        self.parts: list[str] = []
        self.text_length = 0
        self.open: list[tuple[str, JsonObject | None]] = []
        self.entities: list[JsonObject] = []

    def parse(self) -> tuple[str, list[JsonObject]]:
        """Parse the whole message or raise the server's "can't parse entities" error."""
        self.feed(self.source)
        self.close()
        if self.open:
            tag = self.open[-1][0]
            raise self._error(f'Can\'t find end tag corresponding to start tag "{tag}"')
        self.entities.sort(key=lambda entity: (entity["offset"], -entity["length"]))
        return "".join(self.parts), self.entities

    def handle_data(self, data: str) -> None:
        self.parts.append(data)
        self.text_length += utf16_len(data)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        attributes = dict(attrs)
        entity: JsonObject = {"offset": self.text_length, "length": 0}
        if tag in self._SIMPLE:
            entity["type"] = self._SIMPLE[tag]
        elif tag == "span" and attributes.get("class") == "tg-spoiler":
            entity["type"] = "spoiler"
        elif tag == "a" and attributes.get("href"):
            entity |= {"type": "text_link", "url": attributes["href"]}
        elif tag == "blockquote":
            entity["type"] = (
                "expandable_blockquote" if "expandable" in attributes else "blockquote"
            )
        elif tag == "tg-emoji" and attributes.get("emoji-id"):
            entity |= {"type": "custom_emoji", "custom_emoji_id": attributes["emoji-id"]}
        elif tag == "code":
            parent = self.open[-1][1] if self.open else None
            language = (attributes.get("class") or "").removeprefix("language-")
            inside_pre = parent is not None and parent["type"] == "pre"
            if inside_pre and parent is not None and parent["offset"] == self.text_length:
                if language:
                    parent["language"] = language
                self.open.append((tag, None))
                return
            entity["type"] = "code"
        else:
            raise self._error(
                f'Unsupported start tag "{tag}" at byte offset {self._byte_offset()}'
            )
        self.open.append((tag, entity))

    def handle_endtag(self, tag: str) -> None:
        if not self.open:
            raise self._error(f"Unexpected end tag at byte offset {self._byte_offset()}")
        name, entity = self.open.pop()
        if name != tag:
            raise self._error(
                f"Unmatched end tag at byte offset {self._byte_offset()}, "
                f'expected "</{name}>", found "</{tag}>"'
            )
        if entity is not None:
            entity["length"] = self.text_length - entity["offset"]
            if entity["length"] > 0:
                self.entities.append(entity)

    def _byte_offset(self) -> int:
        line, column = self.getpos()
        before = "".join(self.source.splitlines(keepends=True)[: line - 1])
        return len((before + self.source[len(before) :][:column]).encode())

    @staticmethod
    def _error(reason: str) -> TelegramError:
        return bad_request(f"can't parse entities: {reason}")


def coerce(key: str, value: Any) -> Any:
    """Form fields arrive as strings; typed fields become what a JSON body would carry."""
    if not isinstance(value, str):
        return value
    if key in JSON_FIELDS and value[:1] in ("{", "["):
        try:
            return json.loads(value)
        except json.JSONDecodeError:
            return value
    if key in INT_FIELDS and re.fullmatch(r"-?\d+", value):
        return int(value)
    if key in BOOL_FIELDS:
        return value.lower() == "true"
    return value


CAPTION_KEYS = ("caption", "caption_entities")


def caption_fields(caption: str | None) -> JsonObject:
    if caption is None:
        return {}
    return {"caption": caption, "caption_entities": command_entities(caption)}


def command_entities(text: str) -> list[JsonObject]:
    return [
        {
            "type": "bot_command",
            "offset": utf16_len(text[: m.start()]),
            "length": utf16_len(m[0]),
        }
        for m in COMMAND.finditer(text)
    ]


def inline_markup(markup: Any) -> JsonObject | None:
    """Validate a reply_markup; only inline keyboards show up on the message afterwards."""
    if markup is None or markup == "":
        return None
    if not isinstance(markup, dict):
        raise bad_request("can't parse reply keyboard markup JSON object")
    rows = markup.get("inline_keyboard")
    if rows is None:
        return None
    if not isinstance(rows, list) or not all(isinstance(row, list) for row in rows):
        raise bad_request("can't parse inline keyboard markup JSON object")
    for button in itertools.chain.from_iterable(rows):
        if not isinstance(button, dict) or not button.get("text"):
            raise bad_request("can't parse inline keyboard button: text buttons are unallowed")
        data = button.get("callback_data")
        if data is not None and not 1 <= len(str(data).encode()) <= 64:
            raise bad_request("BUTTON_DATA_INVALID")
    return {"inline_keyboard": rows} if rows else None


def commands_key(scope: Any, language_code: str) -> tuple[str, str]:
    scope = scope if isinstance(scope, dict) else {"type": "default"}
    return json.dumps(scope, sort_keys=True), language_code


def image_size(data: bytes) -> tuple[int, int]:
    """Width and height of an image; ValueError when the bytes are not one."""
    try:
        with Image.open(io.BytesIO(data)) as image:
            return image.size
    except (UnidentifiedImageError, OSError) as error:
        raise ValueError("not an image") from error
