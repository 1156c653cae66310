"""The skill's hold on Home Assistant: its settings, the client `setup` opened, the view."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Protocol

from bot.tools import ToolError
from skills.home.client import HomeAssistant, HomeUnreachable, Snapshot, State
from skills.home.settings import HomeSettings
from skills.home.targets import House

UNREACHABLE = (
    "I can't reach Home Assistant right now, so I can't see or change anything in the house; "
    "everything else still works."
)
NOT_SET_UP = (
    "Home Assistant isn't set up yet: a parent adds its address to bot.toml ([skills.home] url)."
)


class Settling(Protocol):
    async def settle(self) -> None: ...


@dataclass
class HomeLink:
    """Built once per app by `configure`; the client is present while `setup` runs."""

    settings: HomeSettings
    client: HomeAssistant | None = None
    pushes: Settling | None = None
    """The event teller while connected, so shutdown and tests can wait for its pushes."""
    house: House = field(init=False)

    def __post_init__(self) -> None:
        self.house = House(self.settings)

    def view(self) -> House:
        """The exposed house as last seen (empty when never connected); never waits."""
        snapshot = self.client.snapshot if self.client is not None else Snapshot()
        return self.house.refresh(snapshot)

    async def ready(self) -> House:
        """The exposed house now, or one clear sentence when Home Assistant is not there."""
        if self.client is None:
            raise ToolError(NOT_SET_UP if not self.settings.url else UNREACHABLE)
        try:
            snapshot = await self.client.ready()
        except HomeUnreachable:
            raise ToolError(UNREACHABLE) from None
        return self.house.refresh(snapshot)

    def exposed_scripts(self) -> frozenset[str]:
        return frozenset(e for e in self.view().things if e.startswith("script."))


def shown_state(state: State | None) -> str:
    """'open', '21.5 °C', 'on (60 %)': the state as a person reads it."""
    if state is None:
        return "unknown"
    attributes: dict[str, Any] = state.get("attributes", {})
    value = str(state.get("state", "unknown"))
    domain = str(state.get("entity_id", "")).split(".", 1)[0]
    if domain == "climate":
        now, target = attributes.get("current_temperature"), attributes.get("temperature")
        parts = [value]
        if now is not None:
            parts.append(f"{now} °C now")
        if target is not None:
            parts.append(f"set to {target} °C")
        return ", ".join(parts)
    unit = attributes.get("unit_of_measurement")
    if unit:
        return f"{value} {unit}"
    if domain == "light" and value == "on" and attributes.get("brightness") is not None:
        return f"on ({round(int(attributes['brightness']) * 100 / 255)} %)"
    return value.replace("_", " ")
