"""How often a chore comes round, read from the family's words into an RRULE (dateutil).

"every day", "Mondays and Thursdays", "every 2 weeks", "3 days after it was last done",
"jeden Tag", "às segundas e quintas", "cada 2 semanas", plus an optional time it is due by
("at 7pm", "um 19 Uhr", "às 19h", "a las 19"). What is left of the sentence names the chore.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from dateutil import rrule as recurrence

ASK_HOW_OFTEN = (
    "How often should it happen? For example “every day”, “Mondays and Thursdays”, "
    "“every 2 weeks” or “3 days after it was last done”."
)
WEEKDAYS = ("MO", "TU", "WE", "TH", "FR", "SA", "SU")
DAY_NAMES = {
    "MO": "monday|montag|segunda(?:-feira)?|lunes",
    "TU": "tuesday|dienstag|terça(?:-feira)?|terca|martes",
    "WE": "wednesday|mittwoch|quarta(?:-feira)?|miércoles|miercoles",
    "TH": "thursday|donnerstag|quinta(?:-feira)?|jueves",
    "FR": "friday|freitag|sexta(?:-feira)?|viernes",
    "SA": "saturday|samstag|sábado|sabado",
    "SU": "sunday|sonntag|domingo",
}
_ANY_DAY = "|".join(DAY_NAMES.values())
_DAY = rf"(?:{_ANY_DAY})s?"
_JOIN = r"(?:\s*,\s*|\s+(?:and|und|e|y)\s+)"
_EVERY = r"every|each|jeden|jede|alle|todas as|todos os|às|as|aos|nas|cada|todos los|los|on"
DAYS = re.compile(rf"\b(?:(?P<every>{_EVERY})\s+)?(?P<days>{_DAY}(?:{_JOIN}{_DAY})*)\b", re.I)
NUMBER_WORDS = {"other": 2, "second": 2, "two": 2, "zwei": 2, "dois": 2, "duas": 2, "dos": 2,
                "three": 3, "drei": 3, "três": 3, "tres": 3, "four": 4, "vier": 4}  # fmt: skip
_N = r"(?P<n>\d{1,3}|" + "|".join(NUMBER_WORDS) + ")"
UNITS = {"day": "DAILY", "tag": "DAILY", "dia": "DAILY", "día": "DAILY",
         "week": "WEEKLY", "woche": "WEEKLY", "semana": "WEEKLY",
         "month": "MONTHLY", "monat": "MONTHLY", "mês": "MONTHLY", "mes": "MONTHLY"}  # fmt: skip
_UNIT = (
    r"(?P<unit>days?|tage?n?|dias?|días?|weeks?|wochen?|semanas?|months?|monate?|mês|meses|mes)"
)
EVERY_N = re.compile(rf"\b(?:every|alle|a cada|cada|de)\s+{_N}\s+{_UNIT}\b", re.I)
AFTER_DONE = re.compile(
    rf"\b{_N}\s+{_UNIT}\s+(?:after (?:it was |it's |it is )?(?:last )?(?:done|completed|finished)"
    r"|after the last time|nach(?:dem)? (?:es )?(?:zuletzt )?(?:erledigt|gemacht)(?: wurde)?"
    r"|depois de (?:feit[oa]|fazer)|después de hacerlo|después de (?:hecho|hacerse))\b",
    re.I,
)
SIMPLE = {
    "DAILY": r"every ?day|each day|daily|jeden tag|täglich|todos os dias|todo dia|diariamente|"
    r"todos los d[ií]as|cada d[ií]a|a diario",
    "WEEKLY": r"every week|each week|weekly|jede woche|wöchentlich|toda semana|todas as semanas|"
    r"semanalmente|cada semana|todas las semanas",
    "MONTHLY": r"every month|each month|monthly|jeden monat|monatlich|todo mês|todos os meses|"
    r"mensalmente|cada mes|todos los meses|mensualmente",
}
SIMPLE_RULES = [(freq, re.compile(rf"\b(?:{words})\b", re.I)) for freq, words in SIMPLE.items()]
WEEKDAY_WORKDAYS = re.compile(
    r"\b(?:on |every )?week ?days|werktags|dias [úu]teis|d[ií]as laborables|entre semana\b", re.I
)
ONE_DAY = {
    0: r"today|heute|hoje|hoy|tonight",
    1: r"tomorrow|morgen|amanhã|amanha|mañana|manana",
}
ONE_DAY_RULES = [(days, re.compile(rf"\b(?:{words})\b", re.I)) for days, words in ONE_DAY.items()]
DUE = re.compile(
    r"\b(?:at|by|before|um|bis|vor|às|as|até|a las|a la|antes de las|hasta las)\s+"
    r"(?P<hour>\d{1,2})(?:[:.h](?P<minute>\d{2}))?\s*(?P<half>am|pm|uhr|h)?(?!\w)",
    re.I,
)
FILLER = re.compile(r"^(?:to|zu|para|de|a)\s+|\s+(?:on|am|no|na|el|la)$", re.I)


class UnclearRepeat(ValueError):
    """No cadence could be read; the message is a question for the member."""


@dataclass(frozen=True)
class Repeat:
    """A chore's cadence: an RRULE, N days after it was last done, or one day."""

    rrule: str | None = None
    after_days: int | None = None
    once_in_days: int | None = None
    due_minute: int | None = None

    def describe(self) -> str:
        if self.after_days is not None:
            return f"{self.after_days} days after it was last done"
        if self.once_in_days is not None:
            return "today" if self.once_in_days == 0 else "tomorrow"
        return describe_rule(self.rrule or "")


def _number(text: str) -> int:
    return int(text) if text.isdigit() else NUMBER_WORDS[text.casefold()]


def _unit(text: str) -> str:
    key = text.casefold()
    for stem, freq in UNITS.items():
        if key.startswith(stem[:3]):
            return freq
    return "DAILY"


def _weekdays(text: str) -> list[str]:
    found = []
    for part in re.split(_JOIN, text.strip(), flags=re.I):
        for code, names in DAY_NAMES.items():
            if re.fullmatch(rf"(?:{names})s?", part.strip(), re.I) and code not in found:
                found.append(code)
    return found


def _due_minute(match: re.Match[str]) -> int | None:
    hour, minute = int(match["hour"]), int(match["minute"] or 0)
    half = (match["half"] or "").casefold()
    if half == "pm" and hour < 12:
        hour += 12
    if half == "am" and hour == 12:
        hour = 0
    if hour > 23 or minute > 59:
        return None
    return hour * 60 + minute


def read(text: str) -> tuple[str, Repeat]:
    """'empty the dishwasher every day at 7pm' → ('empty the dishwasher', daily, due 19:00)."""
    rest = " ".join(text.split())
    due_minute = None
    found = DUE.search(rest)
    if found and (minute := _due_minute(found)) is not None:
        due_minute = minute
        rest = rest[: found.start()] + rest[found.end() :]
    repeat: Repeat | None = None
    if match := AFTER_DONE.search(rest):
        repeat = Repeat(after_days=_number(match["n"]))
    elif match := EVERY_N.search(rest):
        count = _number(match["n"]) if match["n"] else 2
        repeat = Repeat(rrule=f"FREQ={_unit(match['unit'])};INTERVAL={count}")
    elif match := WEEKDAY_WORKDAYS.search(rest):
        repeat = Repeat(rrule="FREQ=WEEKLY;BYDAY=MO,TU,WE,TH,FR")
    else:
        for freq, pattern in SIMPLE_RULES:
            if match := pattern.search(rest):
                repeat = Repeat(rrule=f"FREQ={freq}")
                break
    if repeat is None and (match := DAYS.search(rest)):
        weekdays = _weekdays(match["days"])
        if weekdays:
            repeat = Repeat(rrule=f"FREQ=WEEKLY;BYDAY={','.join(weekdays)}")
    if repeat is None:
        for days, pattern in ONE_DAY_RULES:
            if match := pattern.search(rest):
                repeat = Repeat(once_in_days=days)
                break
    if repeat is None or match is None:
        raise UnclearRepeat(ASK_HOW_OFTEN)
    rest = rest[: match.start()] + rest[match.end() :]
    name = FILLER.sub("", " ".join(rest.split()).strip(" ,.;:!"))
    return FILLER.sub("", name).strip(" ,.;:!"), Repeat(
        repeat.rrule, repeat.after_days, repeat.once_in_days, due_minute
    )


def describe_rule(rule: str) -> str:
    """'FREQ=WEEKLY;BYDAY=MO,TH' → 'every Monday and Thursday' (for replies)."""
    parts = dict(part.split("=", 1) for part in rule.split(";") if "=" in part)
    interval = int(parts.get("INTERVAL", "1"))
    unit = {"DAILY": "day", "WEEKLY": "week", "MONTHLY": "month"}.get(parts.get("FREQ", ""), "")
    if "BYDAY" in parts:
        names = [DAY_NAMES[code].split("|")[0].capitalize() for code in parts["BYDAY"].split(",")]
        days = " and ".join([", ".join(names[:-1]), names[-1]] if len(names) > 1 else names)
        return f"every {days}" + (f" every {interval} weeks" if interval > 1 else "")
    return f"every {interval} {unit}s" if interval > 1 else f"every {unit}"


def local_rule(rule: str, minute: int, start: date) -> recurrence.rrule:
    """The RRULE at the chore's due time from its first day, in local wall-clock times."""
    dtstart = datetime.combine(start, time(minute // 60, minute % 60))
    parsed = recurrence.rrulestr(rule, dtstart=dtstart)
    assert isinstance(parsed, recurrence.rrule)
    return parsed


def next_occurrence(
    rule: str, minute: int, start: date, after: datetime, zone: ZoneInfo
) -> datetime | None:
    """The chore's first occurrence strictly after `after` (UTC), or None when it has ended."""
    local_after = after.astimezone(zone).replace(tzinfo=None)
    found = local_rule(rule, minute, start).after(local_after, inc=False)
    return None if found is None else found.replace(tzinfo=zone).astimezone(after.tzinfo)


def on_day(day: date, minute: int, zone: ZoneInfo) -> datetime:
    """`day` at the due minute, local, as an aware time."""
    return datetime.combine(day, time(minute // 60, minute % 60), tzinfo=zone)


def in_days(now: datetime, days: int, minute: int, zone: ZoneInfo) -> datetime:
    return on_day(now.astimezone(zone).date() + timedelta(days=days), minute, zone)
