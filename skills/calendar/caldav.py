"""Two-way sync with the family calendar on a CalDAV server, by UID, over plain HTTP.

CalDAV is WebDAV with iCalendar bodies: one REPORT lists the server's events with their ETags,
PUT (If-None-Match for a new event, If-Match for a change) and DELETE (If-Match) write, and
`ics` turns rows into bodies and back. `calendar_remote` remembers, per UID, the server's ETag
and our `updated_at` when both sides last matched, so each side's changes since then are known.
An event changed on both sides keeps the server's copy, and whoever made ours is told in chat.
"""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING
from urllib.parse import quote
from xml.etree import ElementTree

from pydantic import SecretStr
from sqlmodel import select

from bot.markdown import escape
from bot.messages import Reply
from bot.notify import MemberRecipient, NoChatForMember
from bot.scheduler import Firing
from bot.services import SkillServices
from bot.skills import JobKind
from skills.calendar import events, ics, pushes
from skills.calendar.models import CalendarEvent, CalendarRemote
from skills.calendar.settings import CalDavSettings, CalendarSettings

if TYPE_CHECKING:  # httpx loads once a CalDAV calendar is used (issue 11 item 10)
    import httpx

SYNC = "caldav_sync"
EVERY_FEW_MINUTES = "caldav-sync"
SOON = "caldav-sync-now"
PASSWORD_ENV = "CALDAV_PASSWORD"
DAV = "{DAV:}"
CALDAV = "{urn:ietf:params:xml:ns:caldav}"
EVERY_EVENT = b"""<?xml version="1.0" encoding="utf-8"?>
<C:calendar-query xmlns:D="DAV:" xmlns:C="urn:ietf:params:xml:ns:caldav">
  <D:prop><D:getetag/><C:calendar-data/></D:prop>
  <C:filter><C:comp-filter name="VCALENDAR"><C:comp-filter name="VEVENT"/></C:comp-filter>
  </C:filter>
</C:calendar-query>"""
ICS = {"Content-Type": "text/calendar; charset=utf-8"}


class CalDavError(RuntimeError):
    """The server answered something sync cannot use; the message says what."""


@dataclass(frozen=True)
class CalDavLink:
    """Where the family calendar lives and how to sign in (the skill's running client)."""

    settings: CalDavSettings
    password: SecretStr | None

    @property
    def auth(self) -> httpx.Auth:
        """Basic sign-in when a username and CALDAV_PASSWORD are set, else none."""
        import httpx

        if not self.settings.username or self.password is None:
            return httpx.Auth()
        return httpx.BasicAuth(self.settings.username, self.password.get_secret_value())

    def address(self, href: str) -> str:
        import httpx

        return str(httpx.URL(self.settings.url).join(href))

    def new_href(self, uid: str) -> str:
        import httpx

        return httpx.URL(self.settings.url).join(quote(uid, safe="@.-_") + ".ics").path


@dataclass(frozen=True)
class RemoteEvent:
    href: str
    etag: str | None
    data: bytes


@dataclass
class SyncReport:
    pushed: int = 0
    pulled: int = 0
    removed_here: int = 0
    removed_there: int = 0
    conflicts: int = 0


def link_of(services: SkillServices) -> CalDavLink | None:
    link = services.held.get("client")
    return link if isinstance(link, CalDavLink) else None


async def sync_soon(services: SkillServices) -> None:
    """After a change here: sync at the next turn of the scheduler (one job, however many)."""
    if services.settings_as(CalendarSettings).caldav is not None:
        await services.jobs.schedule(SYNC, SOON, at=services.clock.now())


async def schedule_sync(services: SkillServices) -> None:
    caldav = services.settings_as(CalendarSettings).caldav
    if caldav is None:
        await services.jobs.cancel(EVERY_FEW_MINUTES)
        await services.jobs.cancel(SOON)
        return
    rule = f"FREQ=MINUTELY;INTERVAL={caldav.sync_minutes}"
    filed = {job.key: job for job in await services.jobs.jobs() if job.kind == SYNC}
    known = filed.get(services.jobs.key(EVERY_FEW_MINUTES))
    if known is None or known.rrule != rule:
        await services.jobs.schedule(SYNC, EVERY_FEW_MINUTES, rrule=rule)
    await sync_soon(services)


async def list_remote(services: SkillServices, link: CalDavLink) -> dict[str, RemoteEvent]:
    """Every event on the server, by UID."""
    response = await services.http.request(
        "REPORT",
        link.settings.url,
        content=EVERY_EVENT,
        headers={"Depth": "1", "Content-Type": "application/xml; charset=utf-8"},
        auth=link.auth,
    )
    if response.status_code != 207:
        raise CalDavError(f"the calendar server answered {response.status_code} to REPORT")
    found: dict[str, RemoteEvent] = {}
    for item in ElementTree.fromstring(response.content).iter(f"{DAV}response"):
        href = item.findtext(f"{DAV}href")
        data = item.findtext(f".//{CALDAV}calendar-data")
        if not href or not data:
            continue
        remote = RemoteEvent(href, item.findtext(f".//{DAV}getetag"), data.encode())
        for uid in _uids(remote.data):
            found[uid] = remote
    return found


def _uids(data: bytes) -> list[str]:
    from icalendar import Calendar

    try:
        calendar = Calendar.from_ical(data)
    except ValueError:
        return []
    return sorted({str(c.get("uid")) for c in calendar.walk("VEVENT") if c.get("uid")})


async def _fetch(services: SkillServices, link: CalDavLink, href: str) -> RemoteEvent | None:
    response = await services.http.get(link.address(href), auth=link.auth)
    if response.status_code == 404:
        return None
    if response.status_code != 200:
        raise CalDavError(f"the calendar server answered {response.status_code} to GET")
    return RemoteEvent(href, response.headers.get("ETag"), response.content)


class Sync:
    """One pass of bringing both sides in step."""

    def __init__(self, services: SkillServices, link: CalDavLink) -> None:
        self.services = services
        self.link = link
        self.store = events.Events(services.sessions)
        self.report = SyncReport()

    async def run(self) -> SyncReport:
        remote = await list_remote(self.services, self.link)
        states = await self._states()
        local = {event.uid: event for event in await self.store.all()}
        names = {m.id: m.name for m in await self.services.family.members()}
        for uid, event in local.items():
            await self._local_event(event, states.get(uid), remote.get(uid), names)
        for uid, there in remote.items():
            if uid not in local:
                await self._remote_only(uid, there, states.get(uid))
        for uid in states.keys() - local.keys() - remote.keys():
            await self._forget(uid)
        return self.report

    async def _local_event(
        self,
        event: CalendarEvent,
        state: CalendarRemote | None,
        there: RemoteEvent | None,
        names: dict[int, str],
    ) -> None:
        changed_here = state is None or event.updated_at > state.synced_at
        if state is None and there is not None:
            await self._take(there, event)  # met for the first time: the server's copy wins
        elif state is None:
            await self._put(event, self.link.new_href(event.uid), None, names)
        elif there is None:
            await self._removed_there(event, changed_here)
        elif there.etag != state.etag:
            if changed_here:
                await self._conflict(event, there)
            else:
                await self._take(there, event)
        elif changed_here:
            await self._put(event, state.href, state.etag, names)

    async def _put(
        self, event: CalendarEvent, href: str, etag: str | None, names: dict[int, str]
    ) -> None:
        condition = {"If-Match": etag} if etag else {"If-None-Match": "*"}
        response = await self.services.http.put(
            self.link.address(href),
            content=ics.export([event], names),
            headers=ICS | condition,
            auth=self.link.auth,
        )
        if response.status_code == 412:  # changed there since we looked: theirs wins
            there = await _fetch(self.services, self.link, href)
            if there is not None:
                await self._conflict(event, there)
            return
        if response.status_code not in (200, 201, 204):
            raise CalDavError(f"the calendar server answered {response.status_code} to PUT")
        new_etag = response.headers.get("ETag")
        if new_etag is None:
            there = await _fetch(self.services, self.link, href)
            new_etag = there.etag if there else None
        await self._remember(event.uid, href, new_etag, event.updated_at)
        self.report.pushed += 1

    async def _take(self, there: RemoteEvent, known: CalendarEvent | None) -> CalendarEvent | None:
        """The server's copy replaces ours (or becomes ours)."""
        services = self.services
        members = {m.name.casefold(): m.id for m in await services.family.members()}
        zone = pushes.household_zone(services)
        incoming = next(
            (
                row
                for row in ics.read(there.data, zone, members, services.clock.now())
                if known is None or row.uid == known.uid
            ),
            None,
        )
        if incoming is None:
            return None
        if known is None:
            row = incoming
        else:
            values = incoming.model_dump(exclude={"id", "created_at", "created_by"})
            row = known.sqlmodel_update(values)
        saved = await self.store.save(row)
        await pushes.schedule_alarms(services, saved)
        await self._remember(saved.uid, there.href, there.etag, saved.updated_at)
        self.report.pulled += 1
        return saved

    async def _conflict(self, event: CalendarEvent, there: RemoteEvent) -> None:
        """Edited on both sides: the server's copy stays, and whoever made ours hears of it."""
        self.report.conflicts += 1
        title = event.title
        saved = await self._take(there, event)
        if event.created_by is None or saved is None:
            return
        zone = events.zone_of(saved)
        start = saved.starts_at.astimezone(zone)
        when = f"{start:%a %d %b}" + ("" if saved.all_day else f" {start:%H:%M}")
        text = (
            f"“{escape(title)}” was also changed on the family calendar, so I kept that "
            f"version: {escape(saved.title)}, {when}. Please make your change again if "
            "it is still needed."
        )
        key = f"caldav-conflict-{saved.uid}-{there.etag}"
        try:
            await self.services.notify.push(
                MemberRecipient(event.created_by), Reply(text=text), key=key
            )
        except NoChatForMember as error:
            self.services.log.warning("calendar conflict not told: %s", error)

    async def _removed_there(self, event: CalendarEvent, changed_here: bool) -> None:
        """Deleted on the server: gone here too (a change made here meanwhile is told)."""
        assert event.id is not None
        await self.store.remove(event)
        await pushes.cancel_alarms(self.services, event.id)
        await self._forget(event.uid)
        self.report.removed_here += 1
        if changed_here and event.created_by is not None:
            text = f"“{escape(event.title)}” was removed from the family calendar, so it is gone."
            with contextlib.suppress(NoChatForMember):
                await self.services.notify.push(
                    MemberRecipient(event.created_by),
                    Reply(text=text),
                    key=f"caldav-removed-{event.uid}",
                )

    async def _remote_only(
        self, uid: str, there: RemoteEvent, state: CalendarRemote | None
    ) -> None:
        if state is None:
            await self._take(there, None)  # new on the server
        elif there.etag != state.etag:
            await self._take(there, None)  # removed here but changed there: theirs wins
        else:
            response = await self.services.http.delete(
                self.link.address(there.href),
                headers={"If-Match": state.etag} if state.etag else {},
                auth=self.link.auth,
            )
            if response.status_code not in (200, 204, 404, 412):
                raise CalDavError(f"the calendar server answered {response.status_code} to DELETE")
            if response.status_code == 412:
                return  # changed there meanwhile: the next pass brings it back here
            await self._forget(uid)
            self.report.removed_there += 1

    async def _states(self) -> dict[str, CalendarRemote]:
        async with self.services.sessions() as session:
            return {row.uid: row for row in await session.exec(select(CalendarRemote))}

    async def _remember(self, uid: str, href: str, etag: str | None, synced: datetime) -> None:
        async with self.services.sessions() as session:
            row = await session.get(CalendarRemote, uid) or CalendarRemote(uid=uid, href=href)
            row.href, row.etag, row.synced_at = href, etag, synced
            session.add(row)
            await session.commit()

    async def _forget(self, uid: str) -> None:
        async with self.services.sessions() as session:
            row = await session.get(CalendarRemote, uid)
            if row is not None:
                await session.delete(row)
                await session.commit()


async def sync(services: SkillServices) -> SyncReport | None:
    """One sync pass; None when no CalDAV calendar is set up or the server cannot be reached."""
    import httpx

    link = link_of(services)
    if link is None:
        return None
    try:
        report = await Sync(services, link).run()
    except (httpx.HTTPError, CalDavError, ElementTree.ParseError) as error:
        services.log.warning("calendar sync with %s failed: %s", link.settings.url, error)
        return None
    services.log.info("calendar sync: %s", report)
    return report


async def run_sync(services: SkillServices, _firing: Firing) -> None:
    await sync(services)


@contextlib.asynccontextmanager
async def open_calendar(
    services: SkillServices, secrets: Mapping[str, SecretStr]
) -> AsyncIterator[CalDavLink | None]:
    """The daily agendas filed and, when `[skills.calendar.caldav]` is set, the CalDAV link
    (the skill's client) with its sync jobs."""
    async with pushes.keep_calendar(services, secrets):
        caldav = services.settings_as(CalendarSettings).caldav
        await schedule_sync(services)
        yield None if caldav is None else CalDavLink(caldav, secrets.get(PASSWORD_ENV))


SYNC_JOB = JobKind(SYNC, run_sync)
