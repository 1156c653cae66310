"""The fast path with Home Assistant's own sentence templates (hassil + home-assistant-intents).

"turn off the kitchen lights", "mach das Licht im Wohnzimmer an", "apaga a luz da cozinha":
matched against the names and areas of the *exposed* entities only, in English, German,
Portuguese and Spanish, and turned into `home.call` / `home.state` with entity ids resolved here.
"""

from __future__ import annotations

import functools
import logging
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from bot.fastpath import FastMatch
from skills.home.link import HomeLink
from skills.home.targets import House, Thing

if TYPE_CHECKING:  # hassil takes ≈0.5 s to import: only when the house is connected
    from hassil import Intents
    from hassil.intents import SlotList
    from hassil.recognize import RecognizeResult

log = logging.getLogger(__name__)

TURN_ON = {"cover": "open_cover", "lock": "lock"}
TURN_OFF = {"cover": "close_cover", "lock": "unlock"}
READING = frozenset({"HassGetState", "HassClimateGetTemperature"})
CHANGING = frozenset(
    {"HassTurnOn", "HassTurnOff", "HassLightSet", "HassClimateSetTemperature", "HassSetPosition"}
)


@functools.cache
def templates(language: str) -> Intents | None:
    """Home Assistant's parsed sentences for a language: read-only, so parsed once a process."""
    import home_assistant_intents
    from hassil import Intents

    data = home_assistant_intents.get_intents(language)
    return Intents.from_dict(data) if data is not None else None


@dataclass
class Recognizer:
    """Home Assistant's templates per language, matched over the exposed house's names."""

    link: HomeLink
    languages: tuple[str, ...]
    _intents: dict[str, Intents] = field(default_factory=dict)
    _lists: tuple[int, dict[str, SlotList]] | None = None

    def load(self) -> None:
        """Parses the templates once (≈ a second per language on first use: done at start-up)."""
        for language in self.languages:
            if language in self._intents:
                continue
            parsed = templates(language)
            if parsed is None:
                log.warning("home-assistant-intents has no sentences for %r", language)
                continue
            self._intents[language] = parsed

    def warm_up(self) -> None:
        """Loads the templates and matches one sentence per language, so the first is quick."""
        from hassil import recognize_best
        from hassil.intents import TextSlotList

        self.load()
        lists: dict[str, SlotList] = {
            name: TextSlotList.from_tuples([("x", "x")]) for name in ("name", "area", "floor")
        }
        for language, intents in self._intents.items():
            recognize_best("x", intents, slot_lists=lists, language=language)

    def slot_lists(self, house: House) -> dict[str, SlotList]:
        from hassil.intents import TextSlotList

        version = house.snapshot.version
        if self._lists is None or self._lists[0] != version:
            names = [
                (name, thing.entity_id, {"domain": thing.domain})
                for thing in house.things.values()
                for name in (thing.name, *thing.aliases)
            ]
            areas = [(name, area_id) for name, area_id in house.area_names().items()]
            self._lists = (
                version,
                {
                    "name": TextSlotList.from_tuples(names, allow_template=False),
                    "area": TextSlotList.from_tuples(areas, allow_template=False),
                    "floor": TextSlotList.from_tuples([], allow_template=False),
                },
            )
        return self._lists[1]

    def __call__(self, text: str) -> FastMatch | None:
        house = self.link.view()
        if not house.things:
            return None
        from hassil import recognize_best

        self.load()
        lists = self.slot_lists(house)
        for language, intents in self._intents.items():
            found = recognize_best(text, intents, slot_lists=lists, language=language)
            if found is not None and found.intent.name in READING | CHANGING:
                return as_call(found, house)
        return None


def as_call(found: RecognizeResult, house: House) -> FastMatch | None:
    """The tool call a recognized sentence means, or None (then the LLM has a go)."""
    slots = {name: entity.value for name, entity in found.entities.items()}
    things = _things(house, slots)
    if not things:
        return None
    ids = [t.entity_id for t in things]
    intent = found.intent.name
    if intent in READING:
        return FastMatch("home.state", {"targets": ids})
    domains = {t.domain for t in things}
    if len(domains) != 1:
        return None
    domain = domains.pop()
    data: dict[str, Any] = {}
    if intent == "HassTurnOn":
        service = TURN_ON.get(domain, "turn_on")
    elif intent == "HassTurnOff":
        service = TURN_OFF.get(domain, "turn_off")
    elif intent == "HassLightSet" and domain == "light":
        service = "turn_on"
        if "brightness" in slots:
            data["brightness_pct"] = int(slots["brightness"])
        if "color" in slots:
            data["color_name"] = str(slots["color"])
    elif intent == "HassClimateSetTemperature" and domain == "climate":
        service, data = "set_temperature", {"temperature": float(slots["temperature"])}
    elif intent == "HassSetPosition" and domain == "cover":
        service, data = "set_cover_position", {"position": int(slots["position"])}
    else:
        return None
    return FastMatch(
        "home.call", {"domain": domain, "service": service, "targets": ids, "data": data}
    )


def _things(house: House, slots: dict[str, Any]) -> list[Thing]:
    name = slots.get("name")
    if isinstance(name, str) and name in house.things:
        return [house.things[name]]
    area = slots.get("area")
    if not isinstance(area, str):
        return []
    domains = slots.get("domain")
    wanted = [domains] if isinstance(domains, str) else list(domains or [])
    if slots.get("device_class") and not wanted:
        wanted = ["cover"]
    return house.in_area(area, wanted)
