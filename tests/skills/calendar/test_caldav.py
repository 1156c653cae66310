"""Two-way sync with a real Radicale server on loopback: both sides' changes meet by UID."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from xml.etree import ElementTree

import httpx
import pytest
from icalendar import Calendar

from bot.clock import ManualClock
from bot.context import AppContext
from bot.family import Member
from skills.calendar.events import Events
from tests.fakes.radicale import Radicale
from tests.skills.calendar.conftest import CALENDAR_TOML, Ask, pushes
from tests.support.home import PARENT_ID, FamilyChats, write_bot_toml

FROM_GRANDMAS_PHONE = b"""BEGIN:VCALENDAR
VERSION:2.0
PRODID:-//Example//Phone//EN
BEGIN:VEVENT
UID:birthday-lunch@example.org
DTSTAMP:20260101T000000Z
DTSTART;TZID=Europe/Berlin:20260107T123000
DTEND;TZID=Europe/Berlin:20260107T140000
SUMMARY:Birthday lunch at grandma's
END:VEVENT
END:VCALENDAR
"""


@pytest.fixture
def radicale(tmp_path: Path) -> Iterator[Radicale]:
    with Radicale(tmp_path / "radicale") as server:
        yield server


@pytest.fixture
def bot_toml(tmp_path: Path, radicale: Radicale) -> Path:
    caldav = f'[skills.calendar.caldav]\nurl = "{radicale.calendar_url}"\n'
    return write_bot_toml(tmp_path, CALENDAR_TOML + caldav)


def on_server(radicale: Radicale) -> dict[str, tuple[str, str, bytes]]:
    """UID -> (summary, href, body) of each event Radicale holds."""
    found: dict[str, tuple[str, str, bytes]] = {}
    with httpx.Client(trust_env=False) as http:
        listing = http.request("PROPFIND", radicale.calendar_url, headers={"Depth": "1"})
        hrefs = ElementTree.fromstring(listing.content).iter("{DAV:}href")
        for path in [href.text for href in hrefs if href.text and href.text.endswith(".ics")]:
            body = http.get(radicale.base_url + path).content
            for event in Calendar.from_ical(body).walk("VEVENT"):
                found[str(event["uid"])] = (str(event["summary"]), path, body)
    return found


def put_on_server(radicale: Radicale, path: str, body: bytes) -> None:
    with httpx.Client(trust_env=False) as http:
        answer = http.put(
            radicale.base_url + path, content=body, headers={"Content-Type": "text/calendar"}
        )
        answer.raise_for_status()


def delete_on_server(radicale: Radicale, path: str) -> None:
    with httpx.Client(trust_env=False) as http:
        http.delete(radicale.base_url + path).raise_for_status()


async def sync_now(app: AppContext) -> None:
    """What the scheduler does next: a sync filed by a change here runs at once."""
    await app.scheduler.run_due(app.clock.now())


async def every_few_minutes(app: AppContext, clock: ManualClock) -> None:
    """Fifteen minutes later the periodic sync has run."""
    clock.advance(timedelta(minutes=15))
    await app.scheduler.run_due(clock.now())


async def test_an_event_added_in_chat_appears_on_the_family_calendar_server(
    app: AppContext, ask: Ask, radicale: Radicale
) -> None:
    added = await ask("calendar.add_event", title="dentist", when="friday at 10")
    assert on_server(radicale) == {}

    await sync_now(app)

    here = await Events(app.skill("calendar").services.sessions).get(added.data["id"])
    assert here is not None
    assert [(uid, summary) for uid, (summary, _, _) in on_server(radicale).items()] == [
        (here.uid, "dentist")
    ]


async def test_an_event_added_on_a_phone_shows_in_the_agenda(
    app: AppContext, ask: Ask, clock: ManualClock, radicale: Radicale, parent: Member
) -> None:
    put_on_server(radicale, "/family/calendar/lunch.ics", FROM_GRANDMAS_PHONE)
    assert "Birthday" not in (await ask("calendar.agenda", day="wednesday")).text

    await every_few_minutes(app, clock)

    agenda = await ask("calendar.agenda", day="wednesday")
    assert "12:30–14:00 Birthday lunch at grandma's" in agenda.text


async def test_an_event_changed_on_both_sides_keeps_the_servers_copy_and_tells_who_changed_ours(
    app: AppContext,
    ask: Ask,
    clock: ManualClock,
    radicale: Radicale,
    parent: Member,
    chats: FamilyChats,
) -> None:
    await ask("calendar.add_event", title="dentist", when="friday at 10")
    await sync_now(app)
    [(uid, (_, path, body))] = on_server(radicale).items()
    clock.advance(timedelta(minutes=2))

    put_on_server(radicale, path, body.replace(b"SUMMARY:dentist", b"SUMMARY:dentist (Dr. Silva)"))
    moved = await ask("calendar.move_event", event="dentist", to="friday at 11")
    assert moved.status == "done"
    await sync_now(app)

    [(summary, _, _)] = on_server(radicale).values()
    assert summary == "dentist (Dr. Silva)"
    kept = await Events(app.skill("calendar").services.sessions).by_uid(uid)
    assert kept is not None
    assert kept.title == "dentist (Dr. Silva)"
    assert kept.starts_at.astimezone(clock.now().tzinfo).hour == 10
    assert await pushes(chats) == [
        (
            PARENT_ID,
            "“dentist” was also changed on the family calendar, so I kept that version: "
            "dentist (Dr. Silva), Fri 09 Jan 10:00. Please make your change again if it is "
            "still needed.",
        )
    ]


async def test_an_event_removed_in_chat_is_removed_from_the_server(
    app: AppContext, ask: Ask, clock: ManualClock, radicale: Radicale
) -> None:
    await ask("calendar.add_event", title="dentist", when="friday at 10")
    await sync_now(app)
    assert len(on_server(radicale)) == 1
    clock.advance(timedelta(minutes=2))

    await ask("calendar.remove_event", event="dentist")
    await sync_now(app)

    assert on_server(radicale) == {}


async def test_an_event_deleted_on_a_phone_is_gone_from_the_agenda(
    app: AppContext, ask: Ask, clock: ManualClock, radicale: Radicale
) -> None:
    await ask("calendar.add_event", title="dentist", when="friday at 10")
    await sync_now(app)
    [(_, path, _)] = on_server(radicale).values()

    delete_on_server(radicale, path)
    await every_few_minutes(app, clock)

    assert "dentist" not in (await ask("calendar.agenda", day="friday")).text
