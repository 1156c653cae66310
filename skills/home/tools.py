"""home.list, home.state, home.call, home.scene: the house as the family may see and change it.

A call is reported with the state Home Assistant shows afterwards — never a "done" it did not
see: Gepeto waits (bounded) for `state_changed` and says what it saw.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Callable
from typing import Any

from pydantic import BaseModel, Field

from bot.markdown import escape
from bot.tools import Risk, Tool, ToolContext, ToolError, ToolResult
from skills.home.client import HomeRefused, HomeUnreachable, State
from skills.home.link import UNREACHABLE, HomeLink, shown_state
from skills.home.settings import never_callable, risk_of
from skills.home.targets import ENTITY_ID, UNKNOWN_ID, Thing, names_of

NAME = r"^[a-z0-9_]+$"
Reached = Callable[[State, State], bool]
"""(state before the call, state now) → whether the call's effect is visible."""


class CallArgs(BaseModel):
    domain: str = Field(pattern=NAME, description="e.g. light, cover, lock, climate")
    service: str = Field(pattern=NAME, description="e.g. turn_off, open_cover, lock")
    targets: list[str] = Field(
        min_length=1, max_length=50, description="entity ids, names or areas, as the family said"
    )
    data: dict[str, Any] = Field(default_factory=dict, description="the service's fields")


class StateArgs(BaseModel):
    targets: list[str] = Field(default_factory=list, description="names, areas or entity ids")


class ListArgs(BaseModel):
    area: str = Field(default="", description="only this area")


class SceneArgs(BaseModel):
    scene: str = Field(min_length=1, description="the scene's name")


def expected(domain: str, service: str, data: dict[str, Any]) -> Reached:
    """What the entity should show once the service took effect."""
    exact = {
        "turn_off": "off",
        "lock": "locked",
        "unlock": "unlocked",
        "open_cover": "open",
        "close_cover": "closed",
        "alarm_disarm": "disarmed",
        "alarm_arm_home": "armed_home",
        "alarm_arm_away": "armed_away",
        "alarm_arm_night": "armed_night",
        "media_play": "playing",
        "media_pause": "paused",
    }.get(service)
    if service == "turn_on" and domain in ("light", "switch", "fan", "input_boolean", "siren"):
        exact = "on"
    if exact is not None:
        return lambda _before, now: now.get("state") == exact
    if service == "set_temperature" and "temperature" in data:
        return lambda _b, now: _number(now, "temperature") == float(data["temperature"])
    if service == "set_cover_position" and "position" in data:
        return lambda _b, now: _number(now, "current_position") == float(data["position"])
    if service == "turn_on":
        return lambda _b, now: now.get("state") not in ("off", "unavailable")
    return lambda before, now: (
        (before.get("state"), before.get("attributes"))
        != (
            now.get("state"),
            now.get("attributes"),
        )
    )


def _number(state: State, attribute: str) -> float | None:
    value = state.get("attributes", {}).get(attribute)
    return float(value) if isinstance(value, int | float) else None


def _words(service: str) -> str:
    return service.removesuffix("_cover").removeprefix("alarm_").replace("_", " ")


def home_tools(link: HomeLink) -> tuple[Tool[Any], ...]:
    settings = link.settings

    def targets_of(args: CallArgs) -> list[Thing] | None:
        """The exposed entities a call means, or None when that needs a question first."""
        house = link.view()
        things: list[Thing] = []
        for words in args.targets:
            found = house.resolve(words, args.domain)
            if not found.things:
                return None
            things.extend(t for t in found.things if t not in things)
        return things

    def refuse(context: ToolContext, args: CallArgs) -> str | None:
        if never_callable(args.domain, args.service, link.exposed_scripts()):
            return f"I never call {args.domain}.{args.service}: nobody can do that through Gepeto."
        house = link.view()  # empty before Home Assistant first answers: `call` says so then
        if house.things and any(
            ENTITY_ID.fullmatch(t) and t not in house.things for t in args.targets
        ):
            return UNKNOWN_ID
        member = context.member
        blocked = [
            t for t in targets_of(args) or [] if not settings.may_change(member.role, t.entity_id)
        ]
        if blocked:
            who = escape(member.name)
            return f"Sorry {who}, you can't change {names_of(blocked)}. Ask a parent."
        return None

    def risk(args: CallArgs) -> Risk:
        level = risk_of(args.domain, args.service)
        things = targets_of(args) or []
        if level == Risk.WRITE and len(things) > settings.confirm_over:
            return Risk.SENSITIVE
        return level

    def describe(args: CallArgs) -> str:
        things = targets_of(args)
        if not things:
            return f"{_words(args.service)} {escape(', '.join(args.targets))}"
        extra = "".join(f", {key} {value}" for key, value in args.data.items())
        if len(things) > settings.confirm_over:
            return f"{_words(args.service)} these {len(things)}: {names_of(things)}{extra}"
        return f"{_words(args.service)} {names_of(things)}{extra}"

    async def call(context: ToolContext, args: CallArgs) -> ToolResult:
        house = await link.ready()
        things: list[Thing] = []
        for words in args.targets:
            found = house.resolve(words, args.domain)
            if found.question:
                raise ToolError(found.question)
            things.extend(t for t in found.things if t not in things)
        known = house.snapshot.services.get(args.domain, {})
        if args.service not in known:
            raise ToolError(f"Home Assistant has no {args.domain}.{args.service} here.")
        fields = set(known[args.service].get("fields", {}))
        unknown = sorted(set(args.data) - fields)
        if unknown:
            allowed = ", ".join(sorted(fields)) or "none"
            raise ToolError(
                f"{args.domain}.{args.service} doesn't take {', '.join(unknown)} "
                f"(it takes: {allowed})."
            )
        return await call_and_watch(link, args.domain, args.service, things, args.data)

    async def state(context: ToolContext, args: StateArgs) -> ToolResult:
        house = await link.ready()
        things: list[Thing] = []
        for words in args.targets or []:
            found = house.resolve(words)
            if found.question:
                raise ToolError(found.question)
            things.extend(t for t in found.things if t not in things)
        if not args.targets:
            things = list(house.things.values())
        lines = [
            f"{escape(t.name)}: {escape(shown_state(house.state(t.entity_id)))}" for t in things
        ]
        return ToolResult(
            text="\n".join(lines) or "I can't see anything in the house yet.",
            data={t.entity_id: shown_state(house.state(t.entity_id)) for t in things},
        )

    async def listing(context: ToolContext, args: ListArgs) -> ToolResult:
        house = await link.ready()
        areas = house.areas()
        if args.area:
            areas = {k: v for k, v in areas.items() if k.casefold() == args.area.casefold()}
        if not areas:
            return ToolResult(text="Nothing in the house is shared with me yet.")
        lines: list[str] = []
        for area, things in areas.items():
            lines.append(f"**{escape(area)}**")
            lines += [
                f"- {escape(t.name)}: {escape(shown_state(house.state(t.entity_id)))}"
                for t in things
            ]
        return ToolResult(
            text="\n".join(lines),
            data={area: [t.entity_id for t in things] for area, things in areas.items()},
        )

    async def scene(context: ToolContext, args: SceneArgs) -> ToolResult:
        house = await link.ready()
        found = house.resolve(args.scene, "scene")
        if found.question or len(found.things) != 1:
            raise ToolError(found.question or f"Which scene do you mean: {args.scene}?")
        return await call_and_watch(link, "scene", "turn_on", list(found.things), {})

    return (
        Tool(
            name="home.list",
            description="What I can see in the house, by area, with each thing's state",
            args=ListArgs,
            risk=Risk.READ,
            run=listing,
            untrusted_output=True,
        ),
        Tool(
            name="home.state",
            description="The state of things in the house (is the garage open? how warm is it?)",
            args=StateArgs,
            risk=Risk.READ,
            run=state,
            untrusted_output=True,
        ),
        Tool(
            name="home.call",
            description=(
                "Change something in the house: a Home Assistant service on exposed things"
            ),
            args=CallArgs,
            risk=risk,
            run=call,
            describe=describe,
            refuse=refuse,
            untrusted_output=True,
            timeout_s=settings.timeout_s + settings.wait_s + 5,
        ),
        Tool(
            name="home.scene",
            description="Turn on one of the family's scenes",
            args=SceneArgs,
            risk=Risk.WRITE,
            run=scene,
            untrusted_output=True,
            timeout_s=settings.timeout_s + settings.wait_s + 5,
        ),
    )


async def call_and_watch(
    link: HomeLink, domain: str, service: str, things: list[Thing], data: dict[str, Any]
) -> ToolResult:
    """Calls the service, then waits (bounded) until every target shows the effect."""
    client = link.client
    if client is None:
        raise ToolError(UNREACHABLE)
    ids = [t.entity_id for t in things]
    before = {e: dict(client.snapshot.states.get(e) or {}) for e in ids}
    reached = expected(domain, service, data)

    def confirmed() -> list[Thing]:
        return [
            t
            for t in things
            if reached(before[t.entity_id], client.snapshot.states.get(t.entity_id) or {})
        ]

    async with client.watching(ids) as changed:
        try:
            await client.call_service(domain, service, ids, data)
        except HomeUnreachable:
            raise ToolError(UNREACHABLE) from None
        except HomeRefused as refused:
            raise ToolError(
                f"Home Assistant refused to {_words(service)} {names_of(things)}: "
                + escape(str(refused))
            ) from None
        with contextlib.suppress(TimeoutError):
            async with asyncio.timeout(link.settings.wait_s):
                while len(confirmed()) < len(things):
                    changed.clear()
                    await changed.wait()
    done = confirmed()
    lines = [
        f"{escape(t.name)}: {escape(shown_state(client.snapshot.states.get(t.entity_id)))} ✓"
        for t in done
    ]
    missing = [t for t in things if t not in done]
    for thing in missing:
        seen = escape(shown_state(client.snapshot.states.get(thing.entity_id)))
        lines.append(
            f"I asked {escape(thing.name)} to {_words(service)}, but it still reports *{seen}* "
            f"after {link.settings.wait_s:g} s."
        )
    text = "\n".join(lines)
    states = {t.entity_id: shown_state(client.snapshot.states.get(t.entity_id)) for t in things}
    if missing:
        raise ToolError(text)
    return ToolResult(text=text, data={"states": states})
