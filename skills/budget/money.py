"""Money as the family writes it ("42,50 €", "R$ 35,90", "$1,234.56"): read with babel, no float.

Amounts are kept as integer minor units (cents) with their ISO currency, so sums in SQL are
exact on SQLite and PostgreSQL alike.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from decimal import Decimal
from typing import Annotated

from babel import Locale, UnknownLocaleError
from babel.numbers import (
    NumberFormatError,
    format_currency,
    get_currency_precision,
    get_currency_symbol,
    list_currencies,
    parse_decimal,
)
from pydantic import BeforeValidator

MAX_AMOUNT = Decimal("1000000000")
NUMBER = re.compile(r"[-+]?\d(?:[\d.,'’\u00a0\u202f ]*\d)?")
THOUSANDS_SPACES = re.compile(r"(?<=\d)['’\u00a0\u202f ](?=\d)")
CURRENCY_WORDS = {
    "€": "EUR",
    "eur": "EUR",
    "euro": "EUR",
    "euros": "EUR",
    "r$": "BRL",
    "real": "BRL",
    "reais": "BRL",
    "£": "GBP",
    "pound": "GBP",
    "pounds": "GBP",
    "pfund": "GBP",
    "libras": "GBP",
    "us$": "USD",
    "dollar": "USD",
    "dollars": "USD",
    "dólar": "USD",
    "dólares": "USD",
    "dolares": "USD",
    "¥": "JPY",
    "franken": "CHF",
    "fr.": "CHF",
}


# Said aloud, cents come after the currency or after the units: "14 Euro 80", "32 reais e 50",
# "12 euros con 50", "fourteen eighty" (once the words are digits). Whisper hears "sixty three
# euros ten" as "63 euro for ten", so "for" joins cents to a currency too.
SPOKEN_CENTS = re.compile(
    r"^(?P<units>\d{1,9})\s+(?:(?P<currency>[^\W\d_]+|€|£|r\$|\$)\s+)?"
    r"(?:(?P<joined>and|und|e|y|con|com|for)\s+)?(?P<cents>\d{1,2})"
    r"(?:\s+(?:cents?|centavos?|c[ée]ntimos?))?$",
    re.IGNORECASE,
)


class MoneyError(ValueError):
    """An amount that cannot be read; the message is for the family."""


@dataclass(frozen=True)
class Money:
    amount: Decimal
    currency: str

    @property
    def minor(self) -> int:
        """The amount in the currency's smallest unit (cents), exact."""
        return int(self.amount.scaleb(precision(self.currency)))

    @classmethod
    def from_minor(cls, minor: int, currency: str) -> Money:
        places = precision(currency)
        return cls(Decimal(minor).scaleb(-places).quantize(Decimal(1).scaleb(-places)), currency)

    def plain(self) -> str:
        """'42.50': the amount with the currency's decimals and a point (CSV, JSON)."""
        return str(self.amount.quantize(Decimal(1).scaleb(-precision(self.currency))))


def precision(currency: str) -> int:
    """How many decimals the currency has (2 for EUR, 0 for JPY)."""
    return int(get_currency_precision(currency))


def locale_for(language: str | None) -> Locale:
    """A babel locale for a member's language ('de', 'pt-BR'); English when unknown."""
    try:
        return Locale.parse((language or "en").replace("-", "_"))
    except (UnknownLocaleError, ValueError, TypeError):
        return Locale.parse("en")


def is_currency_word(word: str) -> bool:
    """'€', 'EUR', 'euros', 'R$': a word that names a currency."""
    key = word.casefold()
    return key in CURRENCY_WORDS or key == "$" or key.upper() in list_currencies()


def amount_text(value: object) -> str:
    """An amount as the member wrote it (a number from the LLM becomes its text), checked
    for a number; the member's locale reads it when the tool runs."""
    if isinstance(value, bool) or not isinstance(value, str | int | float | Decimal):
        raise ValueError("an amount such as 12.50 or 42,50 €")
    text = " ".join(str(value).split())
    if not 0 < len(text) <= 40 or NUMBER.search(text) is None:
        raise ValueError("an amount such as 12.50 or 42,50 €")
    return text


AmountText = Annotated[str, BeforeValidator(amount_text)]


def parse_money(text: str, locale: Locale, default_currency: str) -> Money:
    """Reads an amount in the member's locale; the other convention only when it cannot be."""
    cleaned = " ".join(text.replace("\u00a0", " ").replace("\u202f", " ").split())
    cleaned = _spoken_cents(cleaned)
    found = NUMBER.search(cleaned)
    if found is None:
        raise MoneyError(f"I can't find an amount in “{text}”.")
    marker = (cleaned[: found.start()] + " " + cleaned[found.end() :]).strip()
    currency = _currency(marker, locale, default_currency, text)
    number = THOUSANDS_SPACES.sub("", found.group())
    amount = _decimal(number, locale, currency, text)
    if amount <= 0:
        raise MoneyError("The amount has to be above zero.")
    if amount >= MAX_AMOUNT:
        raise MoneyError(f"{text} is more than I can record for one expense.")
    return Money(amount.quantize(Decimal(1).scaleb(-precision(currency))), currency)


def _spoken_cents(text: str) -> str:
    """'14 Euro 80' → '14.80 Euro'; two-digit cents unless a currency sits between."""
    found = SPOKEN_CENTS.match(text)
    if found is None or (found["currency"] is None and len(found["cents"]) != 2):
        return text
    if found["currency"] is None and (found["joined"] or "").casefold() == "for":
        return text
    if found["currency"] is not None and not is_currency_word(found["currency"]):
        return text
    amount = f"{found['units']}.{int(found['cents']):02d}"
    return f"{amount} {found['currency']}" if found["currency"] else amount


def _currency(marker: str, locale: Locale, default: str, text: str) -> str:
    if not marker:
        return default
    key = marker.casefold()
    if key.upper() in list_currencies():
        return key.upper()
    if key in CURRENCY_WORDS:
        return CURRENCY_WORDS[key]
    if key == "$":
        return default if get_currency_symbol(default, locale).endswith("$") else "USD"
    raise MoneyError(f"I can't read “{text}” as an amount of money.")


def _decimal(number: str, locale: Locale, currency: str, text: str) -> Decimal:
    other = Locale.parse("en" if locale.number_symbols["latn"]["decimal"] == "," else "de")
    for attempt in (locale, other):
        try:
            amount = parse_decimal(number, attempt, strict=True)
        except NumberFormatError:
            continue
        exponent = amount.as_tuple().exponent
        if isinstance(exponent, int) and -exponent > precision(currency):
            raise MoneyError(f"“{text}” has more decimals than {currency} amounts have.")
        return amount
    raise MoneyError(f"I can't read “{text}” as an amount of money.")


def show(money: Money, locale: Locale) -> str:
    """The amount as the member writes it: '42,50 €' in German, '€42.50' in English."""
    return str(format_currency(money.amount, money.currency, locale=locale))
