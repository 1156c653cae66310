"""What the family exposed, and which of it a few words mean — decided in code, never guessed.

"the kitchen lights" → the exposed lights in area Kitchen; "front door" → lock.front_door;
a name that fits two things equally well becomes a question, an unknown one a plain "I don't
know". Entities that are not exposed are never considered, so they can't even be named.
"""

from __future__ import annotations

import fnmatch
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from bot.markdown import escape
from skills.home.client import Snapshot, State
from skills.home.settings import HomeSettings

GOOD_MATCH = 85.0
CLOSE_CALL = 4.0
"""Two names scoring within this many points of each other are a tie: ask which one."""

DOMAIN_WORDS: dict[str, tuple[str, ...]] = {
    "light": (
        "light",
        "lights",
        "lamp",
        "lamps",
        "licht",
        "lichter",
        "lampe",
        "luz",
        "luzes",
        "luces",
    ),
    "switch": ("switch", "switches", "plug", "schalter", "steckdose", "interruptor", "tomada"),
    "cover": ("cover", "blind", "blinds", "shutter", "garage", "gate", "rollo", "persiana"),
    "lock": ("lock", "locks", "door lock", "schloss", "fechadura", "cerradura"),
    "climate": ("heating", "thermostat", "heizung", "aquecimento", "calefaccion", "calefacción"),
    "fan": ("fan", "fans", "ventilator", "ventoinha", "ventilador"),
    "media_player": ("tv", "speaker", "music", "fernseher", "musik", "musica", "música"),
}


@dataclass(frozen=True)
class Thing:
    """An exposed entity, with the names the family may call it by."""

    entity_id: str
    name: str
    area_id: str | None
    area_name: str | None
    aliases: tuple[str, ...] = ()

    @property
    def domain(self) -> str:
        return self.entity_id.split(".", 1)[0]


@dataclass(frozen=True)
class Found:
    """What some words mean: the entities, or a question/explanation when it is not clear."""

    things: tuple[Thing, ...] = ()
    question: str = ""
    area: str | None = None


@dataclass
class House:
    """The exposed part of a Home Assistant snapshot, rebuilt when the snapshot's version moves."""

    settings: HomeSettings
    snapshot: Snapshot = field(default_factory=Snapshot)
    things: dict[str, Thing] = field(default_factory=dict)
    _version: int = -1

    def refresh(self, snapshot: Snapshot) -> House:
        if snapshot is self.snapshot and snapshot.version == self._version:
            return self
        self.snapshot = snapshot
        self._version = snapshot.version
        self.things = {
            thing.entity_id: thing
            for thing in (
                self._thing(entity_id, state) for entity_id, state in snapshot.states.items()
            )
            if thing is not None
        }
        return self

    def _thing(self, entity_id: str, state: State) -> Thing | None:
        registered = self.snapshot.entities.get(entity_id)
        area_id = registered.area_id if registered else None
        area = self.snapshot.areas.get(area_id) if area_id else None
        exposed = any(fnmatch.fnmatchcase(entity_id, p) for p in self.settings.expose_entities)
        if not exposed and area is not None:
            wanted = {name.casefold() for name in self.settings.expose_areas}
            exposed = area.area_id.casefold() in wanted or area.name.casefold() in wanted
        if not exposed:
            return None
        name = state.get("attributes", {}).get("friendly_name") or entity_id
        aliases = (
            *(registered.aliases if registered else ()),
            *self.settings.aliases.get(entity_id, ()),
        )
        return Thing(entity_id, str(name), area_id, area.name if area else None, tuple(aliases))

    def state(self, entity_id: str) -> State | None:
        return self.snapshot.states.get(entity_id) if entity_id in self.things else None

    def areas(self) -> dict[str, list[Thing]]:
        """Exposed things by area name ("Elsewhere" for those without one)."""
        grouped: dict[str, list[Thing]] = {}
        for thing in sorted(self.things.values(), key=lambda t: t.name.casefold()):
            grouped.setdefault(thing.area_name or "Elsewhere", []).append(thing)
        return dict(sorted(grouped.items()))

    def area_names(self) -> dict[str, str]:
        """Every name and alias (lower case) of an area with something exposed in it → its id."""
        names: dict[str, str] = {}
        for area_id in {thing.area_id for thing in self.things.values() if thing.area_id}:
            area = self.snapshot.areas[area_id]
            for name in (area.name, *area.aliases):
                names[_plain(name)] = area_id
        return names

    def in_area(self, area_id: str, domains: Iterable[str] = ()) -> list[Thing]:
        wanted = set(domains)
        return [
            thing
            for thing in self.things.values()
            if thing.area_id == area_id and (not wanted or thing.domain in wanted)
        ]

    def resolve(self, words: str, domain: str | None = None) -> Found:
        """The exposed entities these words name, or a question back (never a guess)."""
        words = words.strip()
        if words in self.things:
            return Found((self.things[words],))
        if ENTITY_ID.fullmatch(words):
            return Found(question=UNKNOWN_ID)
        domains = _domains_named(words) if domain is None else {domain}
        named_area = self.area_names().get(_without_fillers(words))
        if named_area is not None:
            return self._area_things(named_area, domains)
        by_name = self._by_name(words, domain)
        if by_name.things or by_name.question:
            return by_name
        area = self._area_in(words)
        if area is not None:
            return self._area_things(area, domains)
        return Found(question=f"I don't know “{words}” in the house — which room or device?")

    def _area_things(self, area_id: str, domains: set[str]) -> Found:
        things = self.in_area(area_id, domains)
        label = self.snapshot.areas[area_id].name
        if things:
            return Found(tuple(things), area=label)
        kind = f" {'/'.join(sorted(domains))}" if domains else "thing I may use"
        return Found(question=f"I can't see any{kind} in {label}.")

    def _by_name(self, words: str, domain: str | None) -> Found:
        candidates = [
            (name, thing)
            for thing in self.things.values()
            if domain is None or thing.domain == domain
            for name in (thing.name, *thing.aliases)
        ]
        if not candidates:
            return Found()
        from rapidfuzz import fuzz, process, utils  # only once the house is asked about

        scored = process.extract(
            words,
            [name for name, _ in candidates],
            scorer=fuzz.WRatio,
            processor=utils.default_process,
            limit=8,
        )
        best: dict[str, tuple[float, Thing]] = {}
        for _name, score, index in scored:
            thing = candidates[index][1]
            if score >= GOOD_MATCH and score > best.get(thing.entity_id, (0.0, thing))[0]:
                best[thing.entity_id] = (score, thing)
        if not best:
            return Found()
        ranked = sorted(best.values(), key=lambda pair: pair[0], reverse=True)
        ties = [thing for score, thing in ranked if ranked[0][0] - score <= CLOSE_CALL]
        exact = [t for t in ties if _plain(words) in {_plain(n) for n in (t.name, *t.aliases)}]
        if len(exact) == 1:
            return Found((exact[0],))
        if len(ties) > 1:
            listed = " or ".join(
                f"{t.name}{f' ({t.area_name})' if t.area_name else ''}" for t in ties
            )
            return Found(question=f"Which one do you mean: {listed}?")
        return Found((ties[0],))

    def _area_in(self, words: str) -> str | None:
        names = self.area_names()
        if not names:
            return None
        from rapidfuzz import fuzz, process, utils

        found = process.extractOne(
            words, list(names), scorer=fuzz.partial_ratio, processor=utils.default_process
        )
        if found is None or found[1] < GOOD_MATCH:
            return None
        return names[found[0]]


ENTITY_ID = re.compile(r"[a-z_]+\.[a-z0-9_]+")
UNKNOWN_ID = "I don't know that in the house — which room or device?"
"""An entity id that is not exposed is not echoed back: a hidden entity is never named."""


def _plain(text: str) -> str:
    return re.sub(r"\W+", " ", text.casefold()).strip()


FILLERS = frozenset(
    {
        *("the", "all", "every", "in", "of", "a", "an", "der", "die", "das", "im", "alle"),
        *("o", "os", "as", "da", "do", "na", "no", "la", "el", "los", "las", "de", "del"),
    }
)


def _without_fillers(words: str) -> str:
    """'all the kitchen lights' → 'kitchen': what is left once articles and kinds go."""
    kinds = {name for names in DOMAIN_WORDS.values() for name in names}
    return " ".join(w for w in _plain(words).split() if w not in FILLERS and w not in kinds)


def _domains_named(words: str) -> set[str]:
    found = set(_plain(words).split())
    return {domain for domain, names in DOMAIN_WORDS.items() if found & set(names)}


def names_of(things: Sequence[Thing]) -> str:
    """ "Kitchen Lights and Ceiling Lights" for a reply (names from Home Assistant, escaped)."""
    names = [escape(thing.name) for thing in things]
    return names[0] if len(names) == 1 else ", ".join(names[:-1]) + " and " + names[-1]
