"""Numbers and clock times as people say them, written the way the tools read them.

A voice note's transcript (or a typed sentence) says "vierzehn Euro achtzig", "quarter to four"
or "a las nueve de la noche"; `text2num` turns the spoken numbers into digits and
`clock_times` turns the clock phrases it leaves into 24-hour times ("15:45", "21:00").
A clock phrase without a part of the day is read the family way: 1 to 6 o'clock is afternoon.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Callable

from text_to_num import alpha2digit

NUMBER_LANGUAGES = frozenset({"en", "de", "pt", "es"})
WORD = re.compile(r"[^\W\d_]+")
KEPT_WORD = "qxqkeptqxq"
AFTERNOON_UNTIL = 7
"""A spoken hour below this, with no part of the day said, is in the afternoon."""
NIGHT_ENDS = 6
"""An hour "at night" below this is in the small hours, from it on in the evening."""

# Hours 1 to 3 stay words after text2num (it leaves small isolated numbers alone).
SMALL_HOURS = {
    "one": 1, "two": 2, "three": 3, "eins": 1, "ein": 1, "zwei": 2, "drei": 3,
    "una": 1, "uma": 1, "um": 1, "dos": 2, "duas": 2, "dois": 2, "tres": 3, "três": 3,
}  # fmt: skip
HOUR = r"(?P<hour>\d{1,2}|" + "|".join(SMALL_HOURS) + r")"
MINUTE = r"(?P<minute>[0-5]\d)"
MARKER = r"(?P<at>\bat|\bum|\bàs|\bas|\ba las|\ba la|\bpelas|\bpor volta das)\s+"
LATER = (
    r"in the (?:afternoon|evening)|pm|p\.m\.|de la tarde|da tarde|nachmittags|abends|"
    r"am (?:nachmittag|abend)"
)
NIGHT = r"at night|tonight|nachts|in der nacht|de la noche|da noite|à noite"
"""After 6 o'clock in the evening, before it in the small hours: "um 3 nachts" is 03:00."""
EARLIER = r"in the morning|a\.m\.|de la mañana|da manhã|morgens|früh|am morgen|vormittags"
SAID_PART = rf"\s+(?:(?P<later>{LATER})|(?P<night>{NIGHT})|(?P<earlier>{EARLIER}))"
PART = rf"(?:{SAID_PART})?(?!\w)"

DAYS = (
    r"(?:mon|tues|wednes|thurs|fri|satur|sun)day|(?:mon|diens|donners|frei|sams|sonn)tag|mittwoch|"
    r"lunes|martes|mi[ée]rcoles|jueves|viernes|s[áa]bado|domingo|"
    r"segunda|ter[çc]a|quarta|quinta|sexta|weekend|wochenende|fin de semana|fim de semana"
)
WHEN_START = (
    r"(?:(?:on|for|this|next|coming|the|am|für|el|este|esta|no|na|nesta|neste|para|em|dia|o|a|la|"
    r"nächsten|diesen|kommenden|pr[óo]xim[ao])\s+)*"
    r"(?:at\s+(?:\d|quarter|half|noon|midnight|one|two|three|four|five|six|seven|eight|nine|"
    r"ten|eleven|twelve)|"
    rf"(?:{DAYS}s?|tomorrow|today|tonight|morgen|heute|übermorgen|mañana|hoy|pasado|"
    r"amanhã|hoje|depois|um|a las|a la|às|\d+(?:st|nd|rd|th|\.|º|ª)?)\b|\d)"
)
"""How a day or time begins in a sentence ("on Wednesday", "am Mittwoch", "el jueves", "às")."""

Reading = Callable[[int, int], tuple[int, int]]
"""(hour, minute) as said → (hour, minute) meant, before the part of the day."""


def _before(hour: int, _minute: int) -> tuple[int, int]:
    return hour - 1, 45


def _quarter_past(hour: int, _minute: int) -> tuple[int, int]:
    return hour, 15


def _half_past(hour: int, _minute: int) -> tuple[int, int]:
    return hour, 30


def _half_before(hour: int, _minute: int) -> tuple[int, int]:
    return hour - 1, 30


def _as_said(hour: int, minute: int) -> tuple[int, int]:
    return hour, minute


SAID_FORMS: tuple[tuple[str, Reading], ...] = (
    (rf"(?:a )?quarter (?:to|till|before) {HOUR}", _before),
    (rf"(?:a )?quarter (?:past|after) {HOUR}", _quarter_past),
    (rf"half past {HOUR}", _half_past),
    (rf"(?:viertel vor|dreiviertel) {HOUR}", _before),
    (rf"viertel nach {HOUR}", _quarter_past),
    (rf"halb {HOUR}", _half_before),
    (rf"(?:um quarto|quinze|15) para (?:as |a )?{HOUR}", _before),
    (rf"{HOUR} menos (?:um )?cuarto", _before),
    (rf"{HOUR} (?:y|e) (?:media|meia)", _half_past),
    (rf"{HOUR} (?:y|e) (?:um )?(?:cuarto|quarto)", _quarter_past),
    (rf"{HOUR} (?:y|e) {MINUTE}\b", _as_said),
    (rf"{HOUR} uhr {MINUTE}\b", _as_said),
    (rf"{HOUR} o'?clock", _as_said),
)
CLOCK_FORMS: tuple[tuple[re.Pattern[str], Reading], ...] = (
    *((re.compile(rf"(?:{MARKER})?\b{form}{PART}", re.IGNORECASE), reading)
      for form, reading in SAID_FORMS),
    # "at 8 45", "um 7 30": an hour and its minutes said one after the other.
    (re.compile(rf"{MARKER}{HOUR} {MINUTE}\b{PART}", re.IGNORECASE), _as_said),
    # "a las 9 de la noche", "at 7 in the evening": an hour with its part of the day.
    (
        re.compile(
            rf"{MARKER}{HOUR}(?::(?P<minute>[0-5]\d))?(?:\s+uhr)?{SAID_PART}(?!\w)",
            re.IGNORECASE,
        ),
        _as_said,
    ),
)  # fmt: skip


def digits(text: str, language: str) -> str:
    """'sixty three euros ten' → '63 euros 10', in the sentence's language (en, de, pt, es).

    Ordinals stay words: they name days and clock quarters ("sexta", "cuarto", "second").
    """
    if language not in NUMBER_LANGUAGES:
        return text
    kept: list[str] = []

    def keep(found: re.Match[str]) -> str:
        word = found[0]
        alone = str(alpha2digit(word, language, threshold=0))
        if alone == word or alone.isdigit():
            return word
        kept.append(word)
        return KEPT_WORD

    masked = WORD.sub(keep, text)
    converted = str(alpha2digit(masked, language))
    words = iter(kept)
    return re.sub(KEPT_WORD, lambda _found: next(words), converted)


BARE_HOUR = re.compile(
    rf"{MARKER}(?P<hour>[1-9]\d?)(?:[:.](?P<minute>[0-5]\d))?(?![\d:.])"
    r"(?!\s*(?:am|pm|a\.m\.|p\.m\.|uhr|h)(?!\w))",
    re.IGNORECASE,
)
"""'at 4', 'um 3.45', 'às 5:30': a written hour after a clock word, with no part of the day.
A leading zero ('at 04:30', or a time read above) is a 24-hour time, as written."""


def clock_times(text: str, *, bare_hours: bool = False) -> str:
    """'quarter to 4' → '15:45', 'a las 9 de la noche' → 'a las 21:00', 'halb 4' → '15:30';
    with `bare_hours` (family events, never at 4 in the morning) 'at 3.45' → 'at 15:45' too."""
    for pattern, reading in CLOCK_FORMS:
        text = pattern.sub(functools.partial(_clock, reading=reading), text)
    if bare_hours:
        text = BARE_HOUR.sub(functools.partial(_clock, reading=_as_said), text)
    return text


def _clock(found: re.Match[str], *, reading: Reading) -> str:
    groups = found.groupdict()
    said = groups["hour"].casefold()
    hour = SMALL_HOURS[said] if said in SMALL_HOURS else int(said)
    minute = int(groups.get("minute") or 0)
    if not 1 <= hour <= 24:
        return found[0]
    plain = all(groups.get(part) is None for part in ("later", "night", "earlier"))
    hour, minute = reading(hour, minute)
    hour %= 24
    evening = NIGHT_ENDS if groups.get("night") else 0
    if (groups.get("later") or groups.get("night")) and evening <= hour < 12:
        hour += 12
    elif (groups.get("earlier") or groups.get("night")) and hour == 12:
        hour = 0
    elif plain and 1 <= hour < AFTERNOON_UNTIL:
        hour += 12
    at = f"{groups['at']} " if groups.get("at") else ""
    return f"{at}{hour:02d}:{minute:02d}"
