"""Loads and validates bot.toml, environment overrides and secrets, failing with the exact key."""

from __future__ import annotations

import difflib
import json
import os
import tomllib
from collections.abc import Iterable, Mapping
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


class ContextSizes(Section):
    """Ollama's `num_ctx` (tokens) per model role; 0 keeps the model's own default."""

    fast: int = Field(default=0, ge=0)
    chat: int = Field(default=0, ge=0)
    vision: int = Field(default=0, ge=0)


class LLMSettings(Section):
    enabled: bool = True
    endpoints: list[OllamaEndpoint] = Field(default_factory=lambda: [OllamaEndpoint()])
    models: ModelRoles = ModelRoles()
    keep_alive: str = "10m"
    request_timeout_s: float = Field(default=120.0, gt=0)
    connect_timeout_s: float = Field(default=3.0, gt=0)
    max_tool_rounds: int = Field(default=4, ge=1, le=10)
    num_ctx: ContextSizes = ContextSizes()
    preselect_tools: bool = True


class RolePermissions(Section):
    allow: list[str]
    deny: list[str] = Field(default_factory=list)


def default_roles() -> dict[str, RolePermissions]:
    """The household's own part of each role; skills add what children and guests may use
    (`Skill.roles`), and a role written in `[safety.roles]` replaces all of it."""
    return {
        "parent": RolePermissions(allow=["*"]),
        "adult": RolePermissions(allow=["*"], deny=["members.*"]),
        "child": RolePermissions(allow=[]),
        "guest": RolePermissions(allow=[]),
    }


class SafetySettings(Section):
    roles: dict[str, RolePermissions] = Field(default_factory=dict)
    """Only the roles written in bot.toml; `AppContext.permissions` adds the defaults."""
    confirmation_timeout_s: int = Field(default=300, ge=10)
    two_adults_for_critical: bool = False
    """Critical actions also need a yes from another parent or adult, asked in their chat."""
    messages_per_minute: int = Field(default=20, ge=1)
    burst: int = Field(default=8, ge=1)
    max_message_chars: int = Field(default=DEFAULT_MAX_MESSAGE_CHARS, ge=100)

    @field_validator("roles")
    @classmethod
    def _every_role_known(cls, value: dict[str, RolePermissions]) -> dict[str, RolePermissions]:
        unknown = sorted(set(value) - set(ROLES))
        if unknown:
            raise ValueError(f"unknown role {unknown[0]!r} (roles are {', '.join(ROLES)})")
        return value


class KnowledgeSettings(Section):
    embedder: Literal["auto", "offline", "ollama"] = "auto"
    watch: bool = True


class SkillSettings(Section):
    """`plugins` plus one table per skill (`[skills.lists]`), validated by that skill's model."""

    model_config = ConfigDict(extra="allow", frozen=True)

    plugins: list[str] = Field(default_factory=list)

    def sections(self) -> dict[str, Any]:
        return dict(self.model_extra or {})


MOVED_KEYS = {
    ("vault", "lists_folder"): ("skills", "lists", "folder"),
    ("vault", "default_list"): ("skills", "lists", "default_list"),
    ("vault", "list_aliases"): ("skills", "lists", "aliases"),
    ("vault", "daily_folder"): ("skills", "notes", "daily_folder"),
    ("vault", "daily_format"): ("skills", "notes", "daily_format"),
    ("knowledge", "results"): ("skills", "knowledge", "results"),
}
"""Keys that moved into their skill's section; the old place still works, with a warning."""


class WorkerSettings(Section):
    """How many CPU-heavy jobs of each kind run at once (e.g. `transcribe = 1`, `ocr = 1`)."""

    limits: dict[str, int] = Field(default_factory=dict)
    default_limit: int = Field(default=1, ge=1, le=16)


class MediaSettings(Section):
    """Files members send: the most one may weigh, and how long a downloaded copy is kept."""

    max_bytes: int = Field(default=20 * 1024 * 1024, ge=1)
    keep_hours: float = Field(default=24.0, gt=0)


class LoggingSettings(Section):
    level: Literal["DEBUG", "INFO", "WARNING", "ERROR"] = "INFO"
    format: Literal["text", "json"] = "text"
    file: str = ""
    """Log to this file (relative to the data directory) instead of stderr; it rotates."""
    rotate_bytes: int = Field(default=10 * 1024 * 1024, ge=1024)
    keep_files: int = Field(default=5, ge=1, le=100)


def _host_and_port(value: str) -> str:
    host, colon, port = value.rpartition(":")
    if not colon or not host or not port.isdigit() or int(port) > 65535:
        raise ValueError(f"expected host:port such as 127.0.0.1:8088 (got {value!r})")
    return value


class HttpSettings(Section):
    """The small HTTP server for /healthz, /readyz, /metrics, the API and Telegram's webhook."""

    enabled: bool = False
    listen: str = "127.0.0.1:8088"

    @field_validator("listen")
    @classmethod
    def _listen(cls, value: str) -> str:
        return _host_and_port(value)


class ApiSettings(Section):
    """The household's own HTTP API (needs `[http] enabled`); each member's key acts as them."""

    enabled: bool = False
    requests_per_minute: int = Field(default=30, ge=1)
    burst: int = Field(default=10, ge=1)


class BackupSettings(Section):
    """`gepeto backup` and the scheduled one: where archives go, how often, how many are kept.

    `vault = "manifest"` records only the notes' hashes, for a vault synced elsewhere.
    `schedule` is an RFC 5545 rule (e.g. "FREQ=DAILY;BYHOUR=3"); empty means no scheduled backup.
    """

    folder: Path = Path("backups")
    schedule: str = ""
    keep_daily: int = Field(default=7, ge=1)
    keep_weekly: int = Field(default=4, ge=0)
    vault: Literal["copy", "manifest"] = "copy"


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
    workers: WorkerSettings = WorkerSettings()
    media: MediaSettings = MediaSettings()
    logging: LoggingSettings = LoggingSettings()
    http: HttpSettings = HttpSettings()
    api: ApiSettings = ApiSettings()
    backup: BackupSettings = BackupSettings()


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
    deprecations: tuple[str, ...] = ()
    environ: Mapping[str, str] = Field(default_factory=dict, repr=False, exclude=True)

    def skill_secrets(self, names: Iterable[str]) -> dict[str, SecretStr]:
        """The environment variables a skill declared, for its setup only (never logged)."""
        return {name: SecretStr(self.environ[name]) for name in names if self.environ.get(name)}

    from_environment: dict[str, str] = Field(default_factory=dict)
    """Dotted keys whose value the environment set, and the variable that set each."""
    from_file: frozenset[str] = frozenset()
    """Dotted keys written in the file (tables spelled out down to their values)."""

    def origin(self, key: str) -> str:
        """Where a dotted key's value came from: its variable, the file, or the default."""
        parts = key.split(".")
        above = [".".join(parts[:end]) for end in range(len(parts), 0, -1)]
        for candidate in above:
            if candidate in self.from_environment:
                return f"environment variable {self.from_environment[candidate]}"
        if any(candidate in self.from_file for candidate in above):
            return f"{self.source}"
        return "default"

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
    given = os.environ if environ is None else environ
    env = dict(given)
    config_path = path or default_config_path(env)
    dotenv = _read_dotenv(config_path.parent / ".env")
    env = {**dotenv, **env}
    raw = _read_toml(config_path)
    in_file = frozenset(_dotted_keys(raw))
    overridden = _apply_env_overrides(raw, env)
    origins = {
        key: f"{name} (.env)" if name not in given else name for key, name in overridden.items()
    }
    deprecations = _move_old_keys(raw, config_path)
    try:
        settings = Settings.model_validate(raw)
    except ValidationError as error:
        raise ConfigError(_describe(error, config_path, origins)) from None
    base = config_path.resolve().parent if config_path.exists() else Path.cwd()
    settings = _resolve_paths(settings, base)
    secrets = Secrets.model_validate(
        {field: env[name] for name, field in SECRET_NAMES.items() if env.get(name)}
    )
    config = Config(
        settings=settings,
        secrets=secrets,
        source=config_path,
        from_environment=origins,
        from_file=in_file,
        deprecations=tuple(deprecations),
        environ=env,
    )
    _check_channel_secrets(config, origins)
    return config


def _dotted_keys(table: Mapping[str, Any], prefix: str = "") -> list[str]:
    keys = []
    for name, value in table.items():
        key = f"{prefix}{name}"
        keys.extend(_dotted_keys(value, f"{key}.") if isinstance(value, dict) else [key])
    return keys


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


def _apply_env_overrides(raw: dict[str, Any], env: Mapping[str, str]) -> dict[str, str]:
    """The environment wins over the file; returns each dotted key it set and the variable.

    OLLAMA_HOST replaces [llm] endpoints with one endpoint at that address (keeping the first
    listed endpoint's name and max_parallel); GEPETO_SECTION__KEY=value sets [section] key and,
    being the more specific, wins over OLLAMA_HOST and the two short names.
    """
    overridden: dict[str, str] = {}
    keys: tuple[str, ...]
    ollama_host = env.get("OLLAMA_HOST")
    if ollama_host:
        url = ollama_host if "://" in ollama_host else f"http://{ollama_host}"
        llm = raw.get("llm")
        listed = llm.get("endpoints") if isinstance(llm, dict) else None
        first = listed[0] if isinstance(listed, list) and listed else None
        kept = first if isinstance(first, dict) else {}
        _set_path(raw, ("llm", "endpoints"), [{**kept, "url": url}])
        overridden["llm.endpoints"] = "OLLAMA_HOST"
    shortcuts = {
        "GEPETO_DATA_DIR": ("storage", "data_dir"),
        "GEPETO_VAULT": ("vault", "path"),
    }
    for name, value in sorted(env.items()):
        if name in shortcuts:
            keys = shortcuts[name]
            _set_path(raw, keys, value)
        elif name.startswith(ENV_PREFIX) and ENV_NESTING in name:
            keys = tuple(part.lower() for part in name[len(ENV_PREFIX) :].split(ENV_NESTING))
            _set_path(raw, keys, _parse_env_value(value))
        else:
            continue
        overridden[".".join(keys)] = name
    return overridden


def _move_old_keys(raw: dict[str, Any], path: Path) -> list[str]:
    """Moves keys from their old section into their skill's; one warning line per key."""
    notes = []
    for (section, key), new in MOVED_KEYS.items():
        old_table = raw.get(section)
        if not isinstance(old_table, dict) or key not in old_table:
            continue
        value = old_table.pop(key)
        target = raw
        for part in new[:-1]:
            child = target.setdefault(part, {})
            if not isinstance(child, dict):
                child = target[part] = {}
            target = child
        target.setdefault(new[-1], value)
        notes.append(
            f"{path}: {section}.{key} has moved to [{'.'.join(new[:-1])}] {new[-1]}; "
            "the old key still works for now"
        )
    return notes


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
    backup = settings.backup.model_copy(update={"folder": absolute(settings.backup.folder)})
    return settings.model_copy(update={"storage": storage, "vault": vault, "backup": backup})


def _check_channel_secrets(config: Config, overridden: Mapping[str, str]) -> None:
    channels = config.settings.channels

    def named(key: str) -> str:
        return f"{overridden[key]}: {key}" if key in overridden else key

    if channels.telegram.enabled and config.secrets.telegram_bot_token is None:
        raise ConfigError(
            f"{named('channels.telegram.enabled')}: Telegram is enabled but TELEGRAM_BOT_TOKEN "
            "is not set (put it in the environment or .env, never in bot.toml)"
        )
    if channels.matrix.enabled:
        if not (config.secrets.matrix_password or config.secrets.matrix_access_token):
            raise ConfigError(
                f"{named('channels.matrix.enabled')}: Matrix is enabled but neither "
                "MATRIX_PASSWORD nor MATRIX_ACCESS_TOKEN is set"
            )
        for key in ("homeserver", "user_id"):
            if not getattr(channels.matrix, key):
                raise ConfigError(
                    f"{named(f'channels.matrix.{key}')}: required when Matrix is enabled"
                )


def _describe(error: ValidationError, path: Path, overridden: Mapping[str, str]) -> str:
    """One line per problem: the variable or file it came from, the dotted key, what is wrong."""
    lines = []
    for problem in error.errors():
        location = tuple(str(part) for part in problem["loc"])
        key = ".".join(location)
        variable, spelled = _variable_for(location, overridden)
        if problem["type"] == "extra_forbidden":
            hint = _closest_key(problem["loc"])
            if hint and variable and spelled:
                hint = _env_name_with(variable.split()[0], len(location) - 1, hint)
            message = "unknown key" + (f" (did you mean {hint!r}?)" if hint else "")
        else:
            message = problem["msg"].removeprefix("Value error, ")
            if "input" in problem and not isinstance(problem["input"], dict | list):
                message += f" (got {problem['input']!r})"
        lines.append(f"{variable or path}: {key}: {message}")
    return "\n".join(lines)


def describe_errors(
    error: ValidationError, model: type[BaseModel], path: Path | None, prefix: tuple[str, ...]
) -> str:
    """Like the core errors, for a section validated on its own (a skill's `[skills.<name>]`)."""
    lines = []
    for problem in error.errors():
        location = tuple(str(part) for part in problem["loc"])
        key = ".".join((*prefix, *location))
        if problem["type"] == "extra_forbidden":
            hint = _closest_key(problem["loc"], model)
            message = "unknown key" + (f" (did you mean {hint!r}?)" if hint else "")
        else:
            message = problem["msg"].removeprefix("Value error, ")
            if "input" in problem and not isinstance(problem["input"], dict | list):
                message += f" (got {problem['input']!r})"
        lines.append(f"{path}: {key}: {message}")
    return "\n".join(lines)


def _variable_for(location: tuple[str, ...], overridden: Mapping[str, str]) -> tuple[str, bool]:
    """The variable that set the key at `location` or a table above or below it ("" if none).

    The flag is true when the variable's own name reaches `location`, so an unknown key there is
    a misspelt variable name rather than a bad key inside a JSON value.
    """
    for key, name in overridden.items():
        parts = tuple(key.split("."))
        if parts[: len(location)] == location or location[: len(parts)] == parts:
            return name, len(parts) >= len(location)
    return "", False


def _env_name_with(name: str, index: int, replacement: str) -> str:
    """GEPETO_SAFETY__BRUST with its part `index` replaced by "burst": GEPETO_SAFETY__BURST."""
    parts = name.removeprefix(ENV_PREFIX).split(ENV_NESTING)
    if not name.startswith(ENV_PREFIX) or index >= len(parts):
        return replacement
    parts[index] = replacement.upper()
    return ENV_PREFIX + ENV_NESTING.join(parts)


def _closest_key(location: tuple[int | str, ...], model: type[BaseModel] = Settings) -> str | None:
    for part in location[:-1]:
        field = model.model_fields.get(str(part))
        annotation = field.annotation if field else None
        if not (isinstance(annotation, type) and issubclass(annotation, BaseModel)):
            return None
        model = annotation
    matches = difflib.get_close_matches(str(location[-1]), list(model.model_fields), n=1)
    return matches[0] if matches else None
