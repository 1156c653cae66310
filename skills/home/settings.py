"""`[skills.home]`: where Home Assistant is, what the family exposes, and who may touch what.

Nothing is exposed by default. What a service may do is decided here in code (`risk_of`,
`never_callable`), whatever the config or the model asks for.
"""

from __future__ import annotations

import fnmatch

from pydantic import Field

from bot.config import Section
from bot.tools import Risk

TOKEN_ENV = "HOME_ASSISTANT_TOKEN"

NEVER_DOMAINS = frozenset(
    {
        "shell_command",
        "python_script",
        "hassio",
        "homeassistant",
        "recorder",
        "system_log",
        "notify",
        "persistent_notification",
        "logger",
        "backup",
        "automation",
        "pyscript",
        "rest_command",
        "command_line",
        "frontend",
        "person",
        "zone",
        "conversation",
    }
)
"""Services Gepeto never calls: they run code, restart the house or speak as someone else."""

WRITE_DOMAINS = frozenset(
    {"light", "switch", "media_player", "climate", "fan", "scene", "input_boolean", "humidifier"}
)


class EventWatch(Section):
    """One entity whose changes are told to chosen members ("front door unlocked at 23:10")."""

    entity: str
    to: list[str] = Field(default_factory=list)
    """Only these new states (e.g. ["unlocked"], ["on"]); empty means every change."""
    members: list[str]
    """Who hears about it, by member name."""
    message: str = ""
    """What to say; `{name}`, `{state}` and `{time}` are filled in. Empty: a plain sentence."""
    quiet_s: int = Field(default=300, ge=0)
    """At most one message per entity in this many seconds."""


class HomeSettings(Section):
    url: str = ""
    """Home Assistant's address, e.g. http://homeassistant.local:8123; empty turns it off."""
    expose_entities: list[str] = Field(default_factory=list)
    """Entity ids Gepeto may see and use (shell-style patterns allowed: "light.kitchen_*")."""
    expose_areas: list[str] = Field(default_factory=list)
    """Area names or ids whose every entity is exposed."""
    aliases: dict[str, list[str]] = Field(default_factory=dict)
    """More names for an exposed entity: "cover.garage_door" = ["garage", "Garage"]."""
    roles: dict[str, list[str]] = Field(default_factory=dict)
    """Per role, the entity patterns it may change (e.g. child = ["light.kids_room*"]);
    a role not listed may change every exposed entity its tools allow."""
    confirm_over: int = Field(default=3, ge=1)
    """A command over more entities than this shows what will change and asks first."""
    wait_s: float = Field(default=5.0, gt=0, le=60)
    """How long to wait for Home Assistant to report the new state after a call."""
    languages: list[str] = Field(default_factory=lambda: ["en", "de", "pt", "es"])
    """Languages of Home Assistant's own sentence templates used on the fast path."""
    events: list[EventWatch] = Field(default_factory=list)
    """Changes told to the family (opt-in per entity)."""
    timeout_s: float = Field(default=10.0, gt=0)
    """How long one request to Home Assistant may take."""

    def may_change(self, role: str, entity_id: str) -> bool:
        """Whether this role may call services on this (exposed) entity."""
        patterns = self.roles.get(role)
        return patterns is None or any(fnmatch.fnmatchcase(entity_id, p) for p in patterns)


def never_callable(domain: str, service: str, exposed_scripts: frozenset[str]) -> bool:
    """True for a service no one may call through Gepeto, in any configuration."""
    if domain in NEVER_DOMAINS or "_admin" in domain or "_admin" in service:
        return True
    if domain == "script":
        # `script.turn_on` on an exposed script entity is fine; `script.<name>` only if exposed.
        return service not in ("turn_on", "turn_off", "toggle") and (
            f"script.{service}" not in exposed_scripts
        )
    return False


def risk_of(domain: str, service: str) -> Risk:
    """How careful to be with this service: locks, alarms and covers open the house."""
    if domain == "lock":
        return Risk.SENSITIVE if service == "lock" else Risk.CRITICAL
    if domain == "alarm_control_panel":
        return Risk.CRITICAL if service == "alarm_disarm" else Risk.SENSITIVE
    if domain in ("cover", "garage_door", "valve"):
        return Risk.CRITICAL
    if domain in WRITE_DOMAINS or domain == "script":
        return Risk.WRITE
    return Risk.SENSITIVE
