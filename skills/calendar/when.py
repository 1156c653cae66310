"""Days and times as the family writes them, read by `dateparser` from the injected clock.

Only clock words dateparser misses are rewritten first ("um 7" → "um 7:00", "8h" → "8:00",
"at 10" → "at 10:00", "quarter to 4" → "15:45", "a las 9 de la noche" → "a las 21:00"; an
event "at 4" is at 16:00, as families mean it); every date and time itself is dateparser's.
Nothing is guessed: what cannot be read raises `UnclearDate` with a question for the member.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any
from zoneinfo import ZoneInfo

from bot.spoken import clock_times

LANGUAGES = ["en", "de", "pt", "es"]
CLOCK_WORD = re.compile(r"\b(\d{1,2})(?:[.:h](\d{2}))?\s*(?:uhr|h)(?!\w)", re.IGNORECASE)
MARKED_HOUR = re.compile(
    r"\b(at|um|às|as|a las|a la)\s+(\d{1,2})\b(?![:.]\d)(?!\s*(?:am|pm|a\.m\.|p\.m\.)(?!\w))",
    re.IGNORECASE,
)
LEADING_WORD = re.compile(r"^(?:on|am|no|na|el|for|für|para)\s+", re.IGNORECASE)
# Day words dateparser does not know, in the family's languages.
DAY_AFTER_TOMORROW = re.compile(
    r"^(?:the day after tomorrow|depois de amanh[ãa]|pasado mañana)\b", re.IGNORECASE
)


class UnclearDate(ValueError):
    """The day or time could not be understood; the message is a question for the member."""


@dataclass(frozen=True)
class Moment:
    """A local time; `has_time` is False when only a day was given ("friday")."""

    local: datetime
    has_time: bool


def _clean(text: str) -> str:
    text = clock_times(" ".join(text.strip(" .,!?¿¡").split()), bare_hours=True)
    text = LEADING_WORD.sub("", text)
    text = DAY_AFTER_TOMORROW.sub("in 2 days", text)
    text = CLOCK_WORD.sub(lambda m: f"{int(m[1])}:{m[2] or '00'}", text)
    return MARKED_HOUR.sub(lambda m: f"{m[1]} {int(m[2])}:00", text)


def read(text: str, now: datetime, zone: ZoneInfo) -> Moment:
    """'friday at 10', 'morgen um 7', 'amanhã às 8:30', '2026-03-29 07:30', 'tomorrow'."""
    from dateparser.date import DateDataParser  # ≈0.15 s to import: only once a date is read

    cleaned = _clean(text)
    base = now.astimezone(zone).replace(tzinfo=None, second=0, microsecond=0)
    settings: dict[str, Any] = {
        "RELATIVE_BASE": base,
        "TIMEZONE": "UTC",
        "RETURN_AS_TIMEZONE_AWARE": False,
        "PREFER_DATES_FROM": "future",
        "RETURN_TIME_AS_PERIOD": True,
    }
    found = DateDataParser(languages=LANGUAGES, settings=settings).get_date_data(cleaned)
    if not cleaned or found.date_obj is None or found.period not in ("day", "time"):
        raise UnclearDate(
            f"I couldn't tell which day “{text}” is; try “tomorrow”, “friday at 10” or "
            "“2026-03-29 07:30”."
        )
    has_time = found.period == "time"
    local = found.date_obj if has_time else datetime.combine(found.date_obj.date(), base.time())
    return Moment(local=local.replace(tzinfo=zone), has_time=has_time)


def read_day(text: str, now: datetime, zone: ZoneInfo) -> date:
    """The local day a member means ('today', 'morgen', 'sexta', '29.03.2026')."""
    return read(text, now, zone).local.date()
