"""Reminder times in the family's words: `dateparser` reads the moment, dateutil the recurrence.

Only the recurrence words ("every weekday", "jeden Montag", "todos os dias", "on the first of
every month") are mapped here, to RRULE parts; every date and clock time is `dateparser`'s.
Times are read in the household's timezone from the injected clock. A time that cannot be read
raises `UnclearTime` with a question for the member — never a guess.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo

from dateutil import rrule as recurrence

from bot.spoken import AFTERNOON_UNTIL, BARE_HOUR, clock_times

LANGUAGES = ("en", "de", "pt", "es")
CHECK_SHIFT = timedelta(hours=7, minutes=13)
"""A second base time: an expression that moves both bases alike is a span ("in 20 minutes")."""
MOMENT_PERIODS = frozenset({"time", "day", "part_of_day"})
"""What dateparser may answer; "next week" or a bare month is too vague to set an alarm by."""
WEEKDAYS = ("MO", "TU", "WE", "TH", "FR", "SA", "SU")

ASK_WHEN = (
    "When should I remind you? For example “in 20 minutes”, “tomorrow at 5pm” or "
    "“every Monday at 7:15”."
)

# A clock word dateparser misses: "7 Uhr", "8h", "um 7", "às 8", "a las 8", "at 9".
CLOCK_WORD = re.compile(r"\b(\d{1,2})(?:[.:h](\d{2}))?\s*(?:uhr|h)(?!\w)", re.IGNORECASE)
MARKED_HOUR = re.compile(
    r"\b(at|um|às|as|a las|a la)\s+(\d{1,2})\b(?![:.]\d)(?!\s*(?:am|pm|a\.m\.|p\.m\.)(?!\w))",
    re.IGNORECASE,
)
LEADING_ARTICLE = re.compile(r"^(?:am|on|no|na|el)\s+", re.IGNORECASE)

DAILY = re.compile(
    r"\b(?:every ?day|each day|daily|jeden tag|täglich|todos os dias|todo (?:o )?dia|"
    r"diariamente|todos los d[ií]as|cada d[ií]a|a diario)\b",
    re.IGNORECASE,
)
WORKDAYS = re.compile(
    r"\b(?:(?:on |every )?week ?days|every weekday|monday to friday|jeden werktag|werktags|"
    r"montags? bis freitags?|(?:todos os |nos )?dias [úu]teis|de segunda a sexta|"
    r"(?:todos los )?d[ií]as laborables|entre semana|de lunes a viernes)\b",
    re.IGNORECASE,
)
MONTHLY = re.compile(
    r"\b(?:(?:of |on )?(?:every|each) month|monthly|(?:jeden|jedes|des) monats?|monatlich|"
    r"(?:de )?(?:todo|cada) m[eê]s|todos os meses|todos los meses|mensualmente)\b",
    re.IGNORECASE,
)
YEARLY = re.compile(
    r"\b(?:every year|each year|yearly|annually|jedes jahr|jährlich|todos os anos|"
    r"cada año|todos los años)\b",
    re.IGNORECASE,
)
WEEKLY = re.compile(
    r"\b(?:every|each|jeden|jede|todas as|todos os|toda|todo|todas las|todos los|cada)\s+"
    r"(?P<day>[^\W\d_]+)",
    re.IGNORECASE,
)
GERMAN_HABIT = re.compile(r"\b(?P<day>\w+tag|mittwoch)s\b", re.IGNORECASE)
WEEK_WORDS = frozenset({"week", "woche", "semana"})
MONTH_DAY = re.compile(
    r"\b(?:(?P<number>\d{1,2})(?:st|nd|rd|th|\.|º|ª)?(?!\s*[:.]?\d)|(?P<word>first|last|ersten|"
    r"erste|letzten|primeiro|primero|[uú]ltimo))\b",
    re.IGNORECASE,
)
FILLER = re.compile(
    r"\b(?:on|the|of|day|am|an|der|dem|den|des|tag|no|na|dia|do|da|de|el|del|día|los|las)\b",
    re.IGNORECASE,
)


class UnclearTime(ValueError):
    """The time could not be understood; the message is a question for the member."""


@dataclass(frozen=True)
class When:
    """When a reminder comes: its first time (UTC) and, if it repeats, an RRULE."""

    first: datetime
    rrule: str | None = None


@dataclass(frozen=True)
class TimeReader:
    """Reads times as a member writes them, in the household's timezone, from `now`."""

    now: datetime
    timezone: ZoneInfo
    languages: Sequence[str] = LANGUAGES
    default_time: time = time(9, 0)

    def read(self, text: str) -> When:
        """One time expression ("tomorrow at 5pm", "every weekday at 7:15")."""
        cleaned = _clean(text)
        if not cleaned:
            raise UnclearTime(ASK_WHEN)
        repeating = self._recurrence(cleaned)
        if repeating is not None:
            return repeating
        return When(first=self._moment(cleaned, text))

    def split(self, request: str) -> tuple[str, When]:
        """'call grandma tomorrow at 5pm' → ('call grandma', tomorrow 17:00)."""
        words = request.split()
        found: list[tuple[str, When]] = []
        for cut in range(1, len(words)):  # the longest time at the end first
            when = self._try(" ".join(words[cut:]))
            if when is not None:
                found.append((" ".join(words[:cut]), when))
                break
        if not found:
            for cut in range(len(words) - 1, 0, -1):  # then the longest time at the start
                when = self._try(" ".join(words[:cut]))
                if when is not None:
                    found.append((" ".join(words[cut:]), when))
                    break
        if not found:
            raise UnclearTime(ASK_WHEN)
        return found[0]

    def _try(self, text: str) -> When | None:
        try:
            return self.read(text)
        except UnclearTime:
            return None

    def _local_now(self) -> datetime:
        return self.now.astimezone(self.timezone)

    def _parse(self, text: str, base: datetime) -> tuple[datetime, str] | None:
        from dateparser.date import DateDataParser  # ≈0.15 s to import: only when reading

        settings = {
            "RELATIVE_BASE": base,
            "TIMEZONE": "UTC",
            "RETURN_AS_TIMEZONE_AWARE": False,
            "PREFER_DATES_FROM": "future",
            "RETURN_TIME_AS_PERIOD": True,
        }
        found = DateDataParser(languages=list(self.languages), settings=settings).get_date_data(
            LEADING_ARTICLE.sub("", text)
        )
        if found.date_obj is None or found.period not in MOMENT_PERIODS:
            return None
        return found.date_obj, str(found.period)

    def _moment(self, text: str, said: str) -> datetime:
        """A one-off time; a span ("in 2 hours") is exact even across a clock change.

        `text` is the cleaned form of what the member `said`.
        """
        base = self._local_now().replace(tzinfo=None, microsecond=0)
        parsed = self._parse(text, base)
        if parsed is None:
            raise UnclearTime(ASK_WHEN)
        moment, period = parsed
        if period == "day":
            moment = datetime.combine(moment.date(), self.default_time)
        again = self._parse(text, base + CHECK_SHIFT)
        span = moment - base
        if period != "day" and again is not None and again[0] - (base + CHECK_SHIFT) == span:
            first = self.now.replace(microsecond=0) + span
        else:
            first = self._evening_if_next(said, moment, base).replace(tzinfo=self.timezone)
        if first <= self.now:
            shown = first.astimezone(self.timezone)
            raise UnclearTime(
                f"{shown:%H:%M} on {shown:%a %d %b} has already passed — when should I remind you?"
            )
        return first.astimezone(UTC)

    def _evening_if_next(self, said: str, moment: datetime, base: datetime) -> datetime:
        """Said at 09:00, "at 7" is 19:00 today, not 07:00 tomorrow: a 12-hour clock's hour
        (7 to 11, no part of the day; 1 to 6 are afternoon already) comes next in the evening
        when no day is named, or when its morning has passed on the day that is."""
        found = BARE_HOUR.search(said)
        if found is None or len(BARE_HOUR.findall(said)) > 1:
            return moment
        hour, minute = int(found["hour"]), int(found["minute"] or 0)
        if not AFTERNOON_UNTIL <= hour < 12 or (moment.hour, moment.minute) != (hour, minute):
            return moment
        evening_said = f"{said[: found.start()]}{found['at']} {hour + 12}:{minute:02d}"
        evening = self._parse(_clean(evening_said + said[found.end() :]), base)
        if evening is None or evening[0].hour != hour + 12:
            return moment
        later = evening[0]
        if later.date() != moment.date():  # no day named, and this morning's had passed
            return min(later, moment)
        return later if moment <= base else moment

    def _time_of_day(self, rest: str) -> time:
        rest = " ".join(FILLER.sub(" ", rest).split())
        if not rest:
            return self.default_time
        parsed = self._parse(rest, self._local_now().replace(tzinfo=None))
        if parsed is None or parsed[1] not in ("time", "part_of_day"):
            raise UnclearTime(f"At what time should it be? I didn't understand “{rest}”.")
        return parsed[0].time().replace(second=0, microsecond=0)

    def _weekday(self, word: str) -> str | None:
        """'Monday', 'Montag', 'sábados' (plurals as Portuguese and Spanish say "every")."""
        base = self._local_now().replace(tzinfo=None)
        for form in dict.fromkeys((word, word.removesuffix("s"))):
            parsed = self._parse(form, base)
            if parsed is not None and parsed[1] == "day":
                return WEEKDAYS[parsed[0].weekday()]
        return None

    def _recurrence(self, text: str) -> When | None:
        parts: list[str]
        if match := DAILY.search(text):
            parts = ["FREQ=DAILY"]
        elif match := WORKDAYS.search(text):
            parts = ["FREQ=WEEKLY", "BYDAY=MO,TU,WE,TH,FR"]
        elif match := MONTHLY.search(text):
            rest = text[: match.start()] + " " + text[match.end() :]
            day = MONTH_DAY.search(rest)
            month_day = _month_day(day) if day else self._local_now().day
            if day:
                rest = rest[: day.start()] + " " + rest[day.end() :]
            return self._repeat(["FREQ=MONTHLY", f"BYMONTHDAY={month_day}"], rest)
        elif match := YEARLY.search(text):
            parts = ["FREQ=YEARLY"]
        elif (match := WEEKLY.search(text) or GERMAN_HABIT.search(text)) is not None:
            word = match["day"]
            if word.casefold() in WEEK_WORDS:
                parts = ["FREQ=WEEKLY"]
            else:
                weekday = self._weekday(word)
                if weekday is None:
                    return None
                parts = ["FREQ=WEEKLY", f"BYDAY={weekday}"]
        else:
            return None
        return self._repeat(parts, text[: match.start()] + " " + text[match.end() :])

    def _repeat(self, parts: list[str], rest: str) -> When:
        at = self._time_of_day(rest)
        rule = ";".join([*parts, f"BYHOUR={at.hour}", f"BYMINUTE={at.minute}"])
        start = self._local_now().replace(second=0, microsecond=0)
        first = recurrence.rrulestr(rule, dtstart=start).after(self.now, inc=True)
        if first is None:
            raise UnclearTime(ASK_WHEN)
        return When(first=first.astimezone(UTC), rrule=rule)


def _month_day(found: re.Match[str]) -> int:
    if found["number"]:
        return max(1, min(31, int(found["number"])))
    return -1 if found["word"].casefold() in ("last", "letzten", "último", "ultimo") else 1


def _clean(text: str) -> str:
    """Clock phrases as 24-hour times; a bare "at 4" is 16:00 (bot/spoken.py), as for events."""
    text = clock_times(" ".join(text.strip(" .,!?").split()), bare_hours=True)
    text = CLOCK_WORD.sub(lambda m: f"{int(m[1])}:{m[2] or '00'}", text)
    return MARKED_HOUR.sub(lambda m: f"{m[1]} {int(m[2])}:00", text)


def describe(when: When, timezone: ZoneInfo, now: datetime) -> str:
    """'tomorrow at 17:00', 'Mon 30 Mar at 07:15', 'every weekday at 07:15 (first Mon...)'."""
    local = when.first.astimezone(timezone)
    today = now.astimezone(timezone).date()
    if local.date() == today:
        day = "today"
    elif local.date() == today + timedelta(days=1):
        day = "tomorrow"
    else:
        day = f"{local:%a %d %b}"
    shown = f"{day} at {local:%H:%M}"
    if when.rrule is None:
        return shown
    return f"{repeats(when.rrule)} (first: {shown})"


def repeats(rule: str) -> str:
    """FREQ=WEEKLY;BYDAY=MO;BYHOUR=7;BYMINUTE=15 → 'every Monday at 07:15'."""
    parts = dict(part.split("=", 1) for part in rule.split(";"))
    clock = f"{int(parts.get('BYHOUR', 0)):02d}:{int(parts.get('BYMINUTE', 0)):02d}"
    freq = parts.get("FREQ", "")
    if freq == "DAILY":
        every = "every day"
    elif freq == "WEEKLY" and parts.get("BYDAY") == "MO,TU,WE,TH,FR":
        every = "every weekday"
    elif freq == "WEEKLY" and "BYDAY" in parts:
        names = {code: name for code, name in zip(WEEKDAYS, _DAY_NAMES, strict=True)}
        every = "every " + ", ".join(names.get(d, d) for d in parts["BYDAY"].split(","))
    elif freq == "WEEKLY":
        every = "every week"
    elif freq == "MONTHLY":
        day = int(parts.get("BYMONTHDAY", 1))
        every = "on the last day of every month" if day == -1 else f"on day {day} of every month"
    else:
        every = "every year"
    return f"{every} at {clock}"


_DAY_NAMES = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
