"""ICS import and export: RRULE, EXDATE, alarms and timezones survive a round trip."""

from __future__ import annotations

from pathlib import Path

from icalendar import Calendar

from bot.context import AppContext
from bot.family import Member
from skills.calendar.events import Events
from skills.calendar.ics import export_all, import_file
from tests.skills.calendar.conftest import Ask
from tests.support.cli import Gepeto

FROM_ANOTHER_PROGRAM = b"""BEGIN:VCALENDAR
VERSION:2.0
PRODID:-//Example//Phone//EN
BEGIN:VEVENT
UID:call-grandpa@example.org
DTSTAMP:20260101T000000Z
DTSTART;TZID=America/New_York:20260106T180000
DTEND;TZID=America/New_York:20260106T183000
RRULE:FREQ=WEEKLY;UNTIL=20260301
EXDATE;TZID=America/New_York:20260113T180000
SUMMARY:Call grandpa
BEGIN:VALARM
ACTION:DISPLAY
TRIGGER:-PT10M
END:VALARM
END:VEVENT
END:VCALENDAR
"""


def vevents(data: bytes) -> list[dict[str, str]]:
    """Each event's properties as text, without the export's own time stamp."""
    return [
        {str(name): component[name].to_ical().decode() for name in component if name != "DTSTAMP"}
        | {"params": repr(sorted((str(k), dict(v.params)) for k, v in component.items()))}
        for component in Calendar.from_ical(data).walk("VEVENT")
    ]


async def test_an_exported_calendar_imports_into_another_household_unchanged(
    app: AppContext, ask: Ask, child: Member, tmp_path: Path
) -> None:
    services = app.skill("calendar").services
    await import_file(services, FROM_ANOTHER_PROGRAM)
    await ask(
        "calendar.add_event",
        title="swimming",
        when="2026-01-06 16:00",
        repeat="FREQ=WEEKLY;BYDAY=TU,TH;UNTIL=20260601T000000Z",
        for_members=["Leo"],
        location="Pool",
        alarms=[60, 10],
    )
    await ask("calendar.remove_event", event="swimming", on="2026-01-08")
    await ask("calendar.add_event", title="school trip", when="2026-03-29", ends="2026-03-31")
    exported = await export_all(services)
    before = (await ask("calendar.agenda", day="2026-01-05", days=31)).data
    assert len(before["events"]) == 12

    for event in await Events(services.sessions).all():
        await ask("calendar.remove_event", event=f"#{event.id}")
    report = await import_file(services, exported)

    assert (report.added, report.updated) == (3, 0)
    assert vevents(await export_all(services)) == vevents(exported)
    after = (await ask("calendar.agenda", day="2026-01-05", days=31)).data
    assert [(e["title"], e["at"]) for e in after["events"]] == [
        (e["title"], e["at"]) for e in before["events"]
    ]
    grandpa = [e["at"] for e in after["events"] if e["title"] == "Call grandpa"]
    assert grandpa[:2] == ["2026-01-06T18:00:00-05:00", "2026-01-20T18:00:00-05:00"]
    swimming = next(e for e in after["events"] if e["title"] == "swimming")
    assert (swimming["for"], swimming["alarms_minutes_before"]) == (["Leo"], [60, 10])


async def test_importing_a_file_again_updates_its_events_instead_of_doubling_them(
    app: AppContext, ask: Ask
) -> None:
    services = app.skill("calendar").services
    await import_file(services, FROM_ANOTHER_PROGRAM)

    report = await import_file(
        services, FROM_ANOTHER_PROGRAM.replace(b"SUMMARY:Call grandpa", b"SUMMARY:Call Grandpa")
    )

    assert (report.added, report.updated) == (0, 1)
    shown = await ask("calendar.agenda", day="2026-01-06", days=2)
    assert [e["title"] for e in shown.data["events"]] == ["Call Grandpa"]


def test_the_gepeto_command_imports_and_exports_ics_files(gepeto: Gepeto, tmp_path: Path) -> None:
    source = tmp_path / "phone.ics"
    source.write_bytes(FROM_ANOTHER_PROGRAM)

    imported = gepeto("calendar", "import", str(source))
    exported = gepeto("calendar", "export")
    broken = tmp_path / "broken.ics"
    broken.write_text("not a calendar", encoding="utf-8")
    refused = gepeto("calendar", "import", str(broken))

    assert imported.exit_code == 0, imported.stderr
    assert imported.stdout == f"Imported 1 new and 0 updated event(s) from {source}.\n"
    assert exported.exit_code == 0
    assert "SUMMARY:Call grandpa" in exported.stdout
    assert "RRULE:FREQ=WEEKLY;UNTIL=" in exported.stdout
    assert refused.exit_code == 1
    assert refused.stderr.startswith(f"{broken} cannot be imported: this is not an iCalendar")
