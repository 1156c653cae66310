"""`[skills.ssh]`: the family's machines and the named actions Gepeto may run on each.

The model picks an action and fills its typed arguments; the argv is built here from the
action's template, so no text from a chat ever becomes a command line by itself.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import asyncssh

import re
from typing import Annotated, Any, ClassVar, Literal, Self

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    JsonValue,
    ValidationError,
    create_model,
    field_validator,
    model_validator,
)

from bot.config import Section
from bot.tools import Risk
from skills.ssh.checker import PLACEHOLDER, placeholder, value_fits

NAME = r"^[a-z][a-z0-9_]{0,31}$"
SAFE_TEXT = r"[A-Za-z0-9._-]{1,64}"
"""The pattern of a `text` argument that names none: a word, a dot, a dash (never first)."""
PHRASE_SLOT = re.compile(r"\{(\w+)\}")
DEFAULT_OUTPUT_LIMIT = 4000


class ChoiceArgument(Section):
    """One of a fixed list of values: `values = ["jellyfin", "nextcloud"]`."""

    kind: Literal["choice"]
    values: list[str] = Field(min_length=1)

    @field_validator("values")
    @classmethod
    def _plain_words(cls, values: list[str]) -> list[str]:
        for value in values:
            if not value_fits({"kind": "text", "pattern": SAFE_TEXT, "max_length": 64}, value):
                raise ValueError(f"{value!r} must be a plain word (letters, digits, . _ -)")
        return values


class NumberArgument(Section):
    """A whole number in a range: `min = 1`, `max = 30`."""

    kind: Literal["number"]
    min: int = Field(default=0, ge=0)
    max: int = Field(le=10**12)

    @model_validator(mode="after")
    def _ordered(self) -> Self:
        if self.max < self.min:
            raise ValueError("max must not be below min")
        return self


class TextArgument(Section):
    """A word matching `pattern` (a plain word by default); never shell characters or `-x`."""

    kind: Literal["text"]
    pattern: str = SAFE_TEXT
    max_length: int = Field(default=64, ge=1, le=255)

    @field_validator("pattern")
    @classmethod
    def _compiles(cls, pattern: str) -> str:
        try:
            re.compile(pattern)
        except re.error as error:
            raise ValueError(f"pattern does not compile: {error}") from None
        return pattern


Argument = Annotated[ChoiceArgument | NumberArgument | TextArgument, Field(discriminator="kind")]


class Action(Section):
    """A named thing Gepeto may do on a machine, with its exact argv template."""

    description: str = Field(min_length=1, max_length=200)
    risk: Risk
    argv: list[str] = Field(min_length=1)
    args: dict[str, Argument] = Field(default_factory=dict)
    timeout_s: float = Field(default=30.0, gt=0, le=3600)
    output_limit: int = Field(default=DEFAULT_OUTPUT_LIMIT, ge=100, le=100_000)
    """At most this many characters of output are shown."""
    phrases: list[str] = Field(default_factory=list)
    """Everyday ways to ask for it; `{name}` marks an argument ("restart {service} on the nas")."""

    @model_validator(mode="after")
    def _template_matches_arguments(self) -> Self:
        if placeholder(self.argv[0]) is not None:
            raise ValueError("argv: the program (first element) must be written out")
        used = [name for part in self.argv if (name := placeholder(part)) is not None]
        for part in self.argv:
            if placeholder(part) is None and (
                PLACEHOLDER.search(part) or not part or "\x00" in part or "\n" in part
            ):
                raise ValueError(
                    f'argv: {part!r}: an argument must be a whole element, like "{{service}}"'
                )
        for name in self.args:
            if not re.fullmatch(NAME, name):
                raise ValueError(f"args: {name!r} must be lower_snake_case")
            if name not in used:
                raise ValueError(f"args: {name!r} is not used in argv")
        for name in used:
            if name not in self.args:
                raise ValueError(f"argv: {{{name}}} has no entry under args")
        for phrase in self.phrases:
            slots = set(PHRASE_SLOT.findall(phrase))
            if slots != set(self.args):
                raise ValueError(
                    f"phrases: {phrase!r} must name every argument once: "
                    + ", ".join(f"{{{name}}}" for name in sorted(self.args))
                )
        return self

    def argv_for(self, values: dict[str, Any]) -> list[str]:
        """The command's argv with these (already validated) values in their places."""
        return [
            str(values[name]) if (name := placeholder(part)) is not None else part
            for part in self.argv
        ]

    def shape(self) -> dict[str, Any]:
        """What the forced-command checker on the machine needs to know of this action."""
        return {
            "argv": list(self.argv),
            "args": {name: spec.model_dump() for name, spec in self.args.items()},
        }


class Host(Section):
    """A family machine: where it is, who Gepeto logs in as, and its pinned host key."""

    address: str = Field(min_length=1)
    port: int = Field(default=22, ge=1, le=65535)
    user: str = Field(pattern=r"^[a-z_][a-z0-9_.-]{0,31}$")
    host_key: str
    """A known_hosts line or public key (`ssh-ed25519 AAAA…`), or a fingerprint (`SHA256:…`)."""
    actions: dict[str, Action] = Field(default_factory=dict)

    @field_validator("host_key")
    @classmethod
    def _readable_key(cls, value: str) -> str:
        pinned_key(value)
        return value

    @field_validator("actions")
    @classmethod
    def _action_names(cls, actions: dict[str, Action]) -> dict[str, Action]:
        for name in actions:
            if not re.fullmatch(NAME, name):
                raise ValueError(f"action {name!r} must be lower_snake_case")
        return actions


class SshSettings(Section):
    key_file_env: str = Field(default="SSH_KEY_FILE", pattern=r"^[A-Z_][A-Z0-9_]*$")
    """The environment variable that names Gepeto's private key file."""
    connect_timeout_s: float = Field(default=10.0, gt=0, le=120)
    keepalive_s: float = Field(default=30.0, gt=0, le=3600)
    hosts: dict[str, Host] = Field(default_factory=dict)

    @field_validator("hosts")
    @classmethod
    def _host_names(cls, hosts: dict[str, Host]) -> dict[str, Host]:
        for name in hosts:
            if not re.fullmatch(NAME, name):
                raise ValueError(f"host {name!r} must be lower_snake_case")
        return hosts

    def action(self, host: str, action: str) -> Action:
        """The catalog action, or a ValueError saying what exists instead."""
        machine = self.hosts.get(host)
        if machine is None:
            known = ", ".join(sorted(self.hosts)) or "none yet"
            raise ValueError(f"{host!r} is not one of the family's machines ({known})")
        found = machine.actions.get(action)
        if found is None:
            known = ", ".join(sorted(machine.actions)) or "none"
            raise ValueError(f"{action!r} is not an action on {host} ({known})")
        return found


def pinned_key(host_key: str) -> tuple[str, asyncssh.SSHKey | None]:
    """The pinned SHA256 fingerprint and, when a whole key was given, the key itself."""
    import asyncssh  # only when a host is configured: it costs ≈0.4 s to import

    text = host_key.strip()
    if re.fullmatch(r"SHA256:[A-Za-z0-9+/]{43}", text):
        return text, None
    words = text.split()
    for index, word in enumerate(words[:-1]):
        if word.startswith(("ssh-", "ecdsa-", "sk-")):
            try:
                key = asyncssh.import_public_key(f"{word} {words[index + 1]}")
            except (asyncssh.KeyImportError, ValueError):
                break
            return key.get_fingerprint("sha256"), key
    raise ValueError(
        "host_key must be the machine's public key line (ssh-ed25519 AAAA…, see "
        "`ssh-keyscan HOST`) or its SHA256:… fingerprint"
    )


class RunArguments(BaseModel):
    """What `ssh.run` takes: a machine, one of its actions, and that action's arguments."""

    model_config = ConfigDict(extra="forbid")
    catalog: ClassVar[SshSettings] = SshSettings()

    host: str = Field(description="the machine, by its name in the catalog")
    action: str = Field(description="the action's name on that machine")
    args: dict[str, str | int] = Field(
        default_factory=dict, description="the action's arguments, by name"
    )

    @model_validator(mode="after")
    def _in_catalog(self) -> Self:
        action = self.catalog.action(self.host, self.action)
        try:
            checked = arguments_model(action).model_validate(self.args)
        except ValidationError as error:
            problems = "; ".join(
                f"{'.'.join(map(str, e['loc'])) or 'args'}: {e['msg']}" for e in error.errors()
            )
            raise ValueError(problems) from None
        self.args = checked.model_dump()
        return self


def run_arguments(machines: SshSettings) -> type[RunArguments]:
    """The `ssh.run` argument model for this catalog: only its hosts, actions and values pass."""
    hosts: list[JsonValue] = [*sorted(machines.hosts)]
    actions: list[JsonValue] = [
        *sorted({name for host in machines.hosts.values() for name in host.actions})
    ]

    class CatalogRun(RunArguments):
        catalog: ClassVar[SshSettings] = machines
        host: str = Field(
            description="the machine, by its name in the catalog",
            json_schema_extra={"enum": hosts},
        )
        action: str = Field(
            description="the action's name on that machine", json_schema_extra={"enum": actions}
        )

    return CatalogRun


def arguments_model(action: Action) -> type[BaseModel]:
    """A strict model of one action's arguments: each value checked by `value_fits`."""
    fields: dict[str, Any] = {}
    for name, spec in action.args.items():
        if isinstance(spec, ChoiceArgument):
            fields[name] = (Literal[tuple(spec.values)], ...)
        elif isinstance(spec, NumberArgument):
            fields[name] = (int, Field(ge=spec.min, le=spec.max, strict=False))
        else:
            fields[name] = (Annotated[str, _fits(spec)], ...)
    model: type[BaseModel] = create_model(
        "ActionArguments", __config__=ConfigDict(extra="forbid"), **fields
    )
    return model


def _fits(spec: TextArgument) -> Any:
    def check(value: str) -> str:
        if not value_fits(spec.model_dump(), value):
            raise ValueError(
                "must be a plain word matching the catalog "
                "(no spaces, shell characters, or leading dash)"
            )
        return value

    return AfterValidator(check)
