"""Loads and validates bot.toml, environment overrides and secrets, failing with the exact key."""

from __future__ import annotations

import difflib
import json
import os
import tomllib
from collections.abc import Mapping
from pathlib import Path
from typing import Any, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from dotenv import dotenv_values
from pydantic import BaseModel, ConfigDict, Field, SecretStr, ValidationError, field_validator

from bot.text import DEFAULT_MAX_MESSAGE_CHARS

ENV_PREFIX = "GEPETO_"
ENV_NESTING = "__"

Role = Literal["parent", "adult", "child", "guest"]
ROLES: tuple[Role, ...] = ("parent", "adult", "child", "guest")


class ConfigError(Exception):
    """A configuration problem a person can fix: names the key and what to do."""


class Section(BaseModel):
    """Base for every config table: unknown keys are errors, never silently ignored."""

    model_config = ConfigDict(extra="forbid", frozen=True)


class HouseholdSettings(Section):
    name: str = "Our family"
    timezone: str = "UTC"
    language: str = "en"

    @field_validator("timezone")
    @classmethod
    def _known_timezone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError) as error:
            raise ValueError(
                f"unknown timezone {value!r} (use an IANA name such as Europe/Berlin)"
            ) from error
        return value


class StorageSettings(Section):
    data_dir: Path = Path("data")
    database_url: str = ""

    def resolved_database_url(self) -> str:
        """The SQLAlchemy URL: the configured one, else a SQLite file in the data directory."""
        return self.database_url or f"sqlite+aiosqlite:///{self.data_dir / 'gepeto.db'}"


class VaultSettings(Section):
    path: Path = Path("vault")
    lists_folder: str = "Lists"
    default_list: str = "Shopping"
    daily_folder: str = "Daily"
    daily_format: str = "%Y-%m-%d"
    list_aliases: dict[str, str] = Field(
        default_factory=lambda: {
            "shopping": "Shopping",
            "shop": "Shopping",
            "store": "Shopping",
            "supermarket": "Shopping",
            "groceries": "Shopping",
            "grocery": "Shopping",
            "einkauf": "Shopping",
            "einkaufs": "Shopping",
            "einkaufsliste": "Shopping",
            "todo": "To-do",
            "to-do": "To-do",
            "to do": "To-do",
        }
    )


class TelegramSettings(Section):
    enabled: bool | None = None
    api_base: str = "https://api.telegram.org"
    mode: Literal["polling", "webhook"] = "polling"
    webhook_listen: str = "127.0.0.1:8081"
    webhook_url: str = ""


class MatrixSettings(Section):
    enabled: bool | None = None
    homeserver: str = ""
    user_id: str = ""
    device_name: str = "Gepeto"
    encryption: bool = False
    assistant_rooms: list[str] = Field(default_factory=list)


class ChannelSettings(Section):
    telegram: TelegramSettings = TelegramSettings()
    matrix: MatrixSettings = MatrixSettings()


class OllamaEndpoint(Section):
    name: str = "local"
    url: str = "http://127.0.0.1:11434"
    max_parallel: int = Field(default=2, ge=1)


class ModelRoles(Section):
    fast: str = "qwen2.5:7b"
    chat: str = "qwen2.5:7b"
    embed: str = "nomic-embed-text"
    vision: str = ""


class LLMSettings(Section):
    enabled: bool = True
    endpoints: list[OllamaEndpoint] = Field(default_factory=lambda: [OllamaEndpoint()])
    models: ModelRoles = ModelRoles()
    keep_alive: str = "10m"
    request_timeout_s: float = Field(default=120.0, gt=0)
    connect_timeout_s: float = Field(default=3.0, gt=0)
    max_tool_rounds: int = Field(default=4, ge=1, le=10)


class RolePermissions(Section):
    allow: list[str]
    deny: list[str] = Field(default_factory=list)


def _default_roles() -> dict[str, RolePermissions]:
    return {
        "parent": RolePermissions(allow=["*"]),
        "adult": RolePermissions(allow=["*"], deny=["members.*"]),
        "child": RolePermissions(
            allow=[
                "lists.*",
                "notes.*",
                "knowledge.*",
                "chores.list",
                "chores.complete",
                "chores.stats",
                "calendar.agenda",
                "reminders.*",
                "home.state",
                "home.list",
                "home.call",
                "memory.*",
                "budget.summary",
                "budget.add_expense",
            ],
            deny=["ssh.*", "budget.set_limit", "notes.delete"],
        ),
        "guest": RolePermissions(
            allow=["lists.show", "knowledge.search", "knowledge.ask", "calendar.agenda"]
        ),
    }


class SafetySettings(Section):
    roles: dict[str, RolePermissions] = Field(default_factory=_default_roles)
    confirmation_timeout_s: int = Field(default=300, ge=10)
    messages_per_minute: int = Field(default=20, ge=1)
    burst: int = Field(default=8, ge=1)
    max_message_chars: int = Field(default=DEFAULT_MAX_MESSAGE_CHARS, ge=100)

    @field_validator("roles")
    @classmethod
    def _every_role_known(cls, value: dict[str, RolePermissions]) -> dict[str, RolePermissions]:
        unknown = sorted(set(value) - set(ROLES))
        if unknown:
            raise ValueError(f"unknown role {unknown[0]!r} (roles are {', '.join(ROLES)})")
        merged = _default_roles()
        merged.update(value)
        return merged


class KnowledgeSettings(Section):
    embedder: Literal["auto", "offline", "ollama"] = "auto"
    results: int = Field(default=5, ge=1, le=20)
    watch: bool = True


class SkillSettings(Section):
    plugins: list[str] = Field(default_factory=list)


class LoggingSettings(Section):
    level: Literal["DEBUG", "INFO", "WARNING", "ERROR"] = "INFO"
    format: Literal["text", "json"] = "text"


class Settings(Section):
    """Everything in bot.toml, validated."""

    household: HouseholdSettings = HouseholdSettings()
    storage: StorageSettings = StorageSettings()
    vault: VaultSettings = VaultSettings()
    channels: ChannelSettings = ChannelSettings()
    llm: LLMSettings = LLMSettings()
    safety: SafetySettings = SafetySettings()
    knowledge: KnowledgeSettings = KnowledgeSettings()
    skills: SkillSettings = SkillSettings()
    logging: LoggingSettings = LoggingSettings()


class Secrets(BaseModel):
    """Secrets come only from the environment (or .env); their values are never printed."""

    model_config = ConfigDict(frozen=True)

    telegram_bot_token: SecretStr | None = None
    telegram_webhook_secret: SecretStr | None = None
    matrix_password: SecretStr | None = None
    matrix_access_token: SecretStr | None = None

    def values(self) -> list[str]:
        """Every secret value that is set, for log redaction."""
        found = [
            self.telegram_bot_token,
            self.telegram_webhook_secret,
            self.matrix_password,
            self.matrix_access_token,
        ]
        return [secret.get_secret_value() for secret in found if secret]


SECRET_NAMES = {name.upper(): name for name in Secrets.model_fields}


class Config(BaseModel):
    """The loaded configuration: validated settings, secrets, and where they came from."""

    model_config = ConfigDict(frozen=True, arbitrary_types_allowed=True)

    settings: Settings
    secrets: Secrets
    source: Path | None

    @property
    def telegram_enabled(self) -> bool:
        flag = self.settings.channels.telegram.enabled
        return flag if flag is not None else self.secrets.telegram_bot_token is not None

    @property
    def matrix_enabled(self) -> bool:
        matrix = self.settings.channels.matrix
        if matrix.enabled is not None:
            return matrix.enabled
        has_login = bool(self.secrets.matrix_password or self.secrets.matrix_access_token)
        return has_login and bool(matrix.homeserver and matrix.user_id)


def default_config_path(environ: Mapping[str, str]) -> Path:
    return Path(environ.get("GEPETO_CONFIG", "bot.toml"))


def load_config(path: Path | None = None, environ: Mapping[str, str] | None = None) -> Config:
    """Reads the file, applies environment overrides and validates; ConfigError names the key."""
    env = dict(os.environ if environ is None else environ)
    config_path = path or default_config_path(env)
    env = {**_read_dotenv(config_path.parent / ".env"), **env}
    raw = _read_toml(config_path)
    _apply_env_overrides(raw, env)
    try:
        settings = Settings.model_validate(raw)
    except ValidationError as error:
        raise ConfigError(_describe(error, raw, config_path)) from None
    base = config_path.resolve().parent if config_path.exists() else Path.cwd()
    settings = _resolve_paths(settings, base)
    secrets = Secrets.model_validate(
        {field: env[name] for name, field in SECRET_NAMES.items() if env.get(name)}
    )
    config = Config(settings=settings, secrets=secrets, source=config_path)
    _check_channel_secrets(config)
    return config


def _read_dotenv(path: Path) -> dict[str, str]:
    if not path.is_file():
        return {}
    return {key: value for key, value in dotenv_values(path).items() if value is not None}


def _read_toml(path: Path) -> dict[str, Any]:
    if not path.exists():
        if path.name == "bot.toml" and path.parent == Path():
            return {}
        raise ConfigError(f"{path}: no such configuration file (set GEPETO_CONFIG or --config)")
    try:
        with path.open("rb") as handle:
            return tomllib.load(handle)
    except tomllib.TOMLDecodeError as error:
        raise ConfigError(f"{path}: not valid TOML: {error}") from None


def _apply_env_overrides(raw: dict[str, Any], env: Mapping[str, str]) -> None:
    """GEPETO_SECTION__KEY=value sets [section] key; short names cover the two common paths."""
    shortcuts = {
        "GEPETO_DATA_DIR": ("storage", "data_dir"),
        "GEPETO_VAULT": ("vault", "path"),
    }
    for name, value in sorted(env.items()):
        if name in shortcuts:
            _set_path(raw, shortcuts[name], value)
        elif name.startswith(ENV_PREFIX) and ENV_NESTING in name:
            keys = tuple(part.lower() for part in name[len(ENV_PREFIX) :].split(ENV_NESTING))
            _set_path(raw, keys, _parse_env_value(value))
    ollama_host = env.get("OLLAMA_HOST")
    if ollama_host and "endpoints" not in raw.get("llm", {}):
        url = ollama_host if "://" in ollama_host else f"http://{ollama_host}"
        raw.setdefault("llm", {})["endpoints"] = [{"name": "local", "url": url}]


def _parse_env_value(value: str) -> Any:
    """Lists and tables arrive as JSON; everything else stays a string for pydantic to coerce."""
    if value[:1] in "[{":
        try:
            return json.loads(value)
        except json.JSONDecodeError:
            return value
    return value


def _set_path(raw: dict[str, Any], keys: tuple[str, ...], value: Any) -> None:
    node = raw
    for key in keys[:-1]:
        child = node.setdefault(key, {})
        if not isinstance(child, dict):
            child = node[key] = {}
        node = child
    node[keys[-1]] = value


def _resolve_paths(settings: Settings, base: Path) -> Settings:
    """Relative paths in bot.toml are relative to the file, so the bot runs from any directory."""

    def absolute(path: Path) -> Path:
        return path if path.is_absolute() else (base / path).resolve()

    storage = settings.storage.model_copy(update={"data_dir": absolute(settings.storage.data_dir)})
    vault = settings.vault.model_copy(update={"path": absolute(settings.vault.path)})
    return settings.model_copy(update={"storage": storage, "vault": vault})


def _check_channel_secrets(config: Config) -> None:
    channels = config.settings.channels
    if channels.telegram.enabled and config.secrets.telegram_bot_token is None:
        raise ConfigError(
            "channels.telegram.enabled: Telegram is enabled but TELEGRAM_BOT_TOKEN is not set "
            "(put it in the environment or .env, never in bot.toml)"
        )
    if channels.matrix.enabled:
        if not (config.secrets.matrix_password or config.secrets.matrix_access_token):
            raise ConfigError(
                "channels.matrix.enabled: Matrix is enabled but neither MATRIX_PASSWORD nor "
                "MATRIX_ACCESS_TOKEN is set"
            )
        for key in ("homeserver", "user_id"):
            if not getattr(channels.matrix, key):
                raise ConfigError(f"channels.matrix.{key}: required when Matrix is enabled")


def _describe(error: ValidationError, raw: Mapping[str, Any], path: Path) -> str:
    """One line per problem: the dotted key, what is wrong, and a hint."""
    lines = []
    for problem in error.errors():
        key = ".".join(str(part) for part in problem["loc"])
        if problem["type"] == "extra_forbidden":
            hint = _closest_key(problem["loc"])
            message = "unknown key" + (f" (did you mean {hint!r}?)" if hint else "")
        else:
            message = problem["msg"].removeprefix("Value error, ")
            if "input" in problem and not isinstance(problem["input"], dict | list):
                message += f" (got {problem['input']!r})"
        lines.append(f"{path}: {key}: {message}")
    return "\n".join(lines)


def _closest_key(location: tuple[int | str, ...]) -> str | None:
    model: type[BaseModel] = Settings
    for part in location[:-1]:
        field = model.model_fields.get(str(part))
        annotation = field.annotation if field else None
        if not (isinstance(annotation, type) and issubclass(annotation, BaseModel)):
            return None
        model = annotation
    matches = difflib.get_close_matches(str(location[-1]), list(model.model_fields), n=1)
    return matches[0] if matches else None
