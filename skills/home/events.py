"""Changes told to the family (opt-in per entity): "Front Door: unlocked at 23:10".

Each change is pushed once (keyed by the change itself) to the chosen members, and an entity
speaks at most once per `quiet_s`, so a flapping sensor never floods a chat.
"""

from __future__ import annotations

import asyncio
from datetime import datetime
from zoneinfo import ZoneInfo

from bot.markdown import escape
from bot.messages import Reply
from bot.notify import MemberRecipient, NoChatForMember
from bot.services import SkillServices
from skills.home.client import State
from skills.home.link import HomeLink, shown_state
from skills.home.settings import EventWatch


class EventTeller:
    """Listens to state changes of the watched, exposed entities and pushes them."""

    def __init__(self, services: SkillServices, link: HomeLink) -> None:
        self.services = services
        self.link = link
        self._last_told: dict[str, datetime] = {}
        self._tasks: set[asyncio.Task[None]] = set()

    def changed(self, entity_id: str, old: State | None, new: State | None) -> None:
        if new is None or old is None or old.get("state") == new.get("state"):
            return
        watch = next((w for w in self.link.settings.events if w.entity == entity_id), None)
        if watch is None or entity_id not in self.link.view().things:
            return
        if watch.to and new.get("state") not in watch.to:
            return
        now = self.services.clock.now()
        last = self._last_told.get(entity_id)
        if last is not None and (now - last).total_seconds() < watch.quiet_s:
            return
        self._last_told[entity_id] = now
        task = asyncio.create_task(self.tell(watch, new))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def tell(self, watch: EventWatch, new: State) -> None:
        thing = self.link.view().things[watch.entity]
        at = (
            self.services.clock.now()
            .astimezone(ZoneInfo(self.services.household.timezone))
            .strftime("%H:%M")
        )
        state = shown_state(new)
        text = (watch.message or "{name}: {state} at {time}").format(
            name=escape(thing.name), state=escape(state), time=at
        )
        change = str(new.get("context", {}).get("id") or new.get("last_changed") or at)
        wanted = {name.casefold() for name in watch.members}
        for member in await self.services.family.members():
            if member.name.casefold() not in wanted:
                continue
            try:
                await self.services.notify.push(
                    MemberRecipient(member.id),
                    Reply(text=text),
                    key=f"home:{watch.entity}:{change}:{member.id}"[:180],
                )
            except NoChatForMember:
                self.services.log.warning("no chat to tell %s about %s", member.name, thing.name)

    async def settle(self) -> None:
        """Waits for pushes already started (tests and shutdown)."""
        while self._tasks:
            await asyncio.gather(*list(self._tasks))
