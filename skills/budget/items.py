"""What was bought: an expense's items (name, how many, what each line cost), stored and shown.

An item arrives as an object `{name, qty, amount}` (a receipt read from a photo) or as plain
words ("milk", typed or from the LLM). It is stored as `{"name", "qty", "amount"}` with exact
decimal strings ("2.70"; `None` when not known); rows saved before items had amounts hold plain
strings and read as items with only a name.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any

from babel import Locale
from babel.numbers import format_decimal
from pydantic import BaseModel, Field, field_validator

from skills.budget.money import Money, MoneyError, amount_text, parse_money, precision, show

ZERO = re.compile(r"[-+]?\D{0,3}\s?0+(?:[.,]0+)?\s?\D{0,3}")
SHOWN_ITEMS = 6
"""Items named in a reply before the rest are folded into "… 4 more"."""


class ItemArgs(BaseModel):
    """One line of what was bought, as a tool call gives it."""

    name: str = Field(min_length=1, max_length=120, description="what it is, e.g. Brezel")
    qty: Decimal | None = Field(
        default=None, gt=0, lt=100000, description="how many, or the weight/volume; empty: one"
    )
    amount: str = Field(
        default="", description='what the line cost, e.g. "2,70" (a coupon: "-1,50"); may be empty'
    )

    @field_validator("amount", mode="before")
    @classmethod
    def _amount(cls, value: Any) -> Any:
        return amount_text(value) if value not in ("", None) else ""


def item_args(value: Any) -> Any:
    """Plain words ("milk") are an item with only a name."""
    return {"name": value} if isinstance(value, str) else value


@dataclass(frozen=True)
class BoughtItem:
    """An item as stored on an expense."""

    name: str
    qty: Decimal | None = None
    amount: Decimal | None = None

    def stored(self) -> dict[str, str | None]:
        return {
            "name": self.name,
            "qty": None if self.qty is None else plain_number(self.qty),
            "amount": None if self.amount is None else str(self.amount),
        }


def plain_number(value: Decimal) -> str:
    """'3', '1.604': no trailing zeros and never an exponent ('1E+1')."""
    return format(value.normalize(), "f")


def bought(given: Sequence[ItemArgs], currency: str, locale: Locale) -> list[BoughtItem]:
    """The items of a new expense, their amounts read in the expense's currency."""
    found = []
    for item in given:
        name = " ".join(item.name.split())[:120]
        if name:
            found.append(BoughtItem(name, item.qty, _line_amount(item.amount, currency, locale)))
    return found


def _line_amount(text: str, currency: str, locale: Locale) -> Decimal | None:
    if not text:
        return None
    if ZERO.fullmatch(text.strip()):
        return Decimal(0).quantize(Decimal(1).scaleb(-precision(currency)))  # "Tüte 0,00"
    negative = text.lstrip().startswith("-") or text.rstrip().endswith("-")
    try:
        money = parse_money(text.strip().strip("-").strip(), locale, currency)
    except MoneyError as error:
        raise MoneyError(f"An item's amount: {error}") from None
    if money.currency != currency:
        raise MoneyError(f"An item's amount is in {money.currency}, the expense in {currency}.")
    return -money.amount if negative else money.amount


def read_items(stored: Sequence[Any]) -> list[BoughtItem]:
    """The items as saved: objects, or plain strings from before items had amounts."""
    found = []
    for entry in stored:
        if isinstance(entry, str):
            found.append(BoughtItem(entry))
        elif isinstance(entry, dict) and str(entry.get("name") or "").strip():
            found.append(
                BoughtItem(
                    str(entry["name"]), _decimal(entry.get("qty")), _decimal(entry.get("amount"))
                )
            )
    return found


def _decimal(value: Any) -> Decimal | None:
    if value in (None, ""):
        return None
    try:
        return Decimal(str(value))
    except InvalidOperation:
        return None


def _count(qty: Decimal, locale: Locale) -> str:
    return str(format_decimal(qty.normalize(), locale=locale))


def shown_item(item: BoughtItem, currency: str, locale: Locale) -> str:
    """'3 × Brezel 2,70 €' in the member's own way of writing amounts."""
    text = item.name if item.qty is None else f"{_count(item.qty, locale)} × {item.name}"
    if item.amount is not None:
        text += f" {show(Money(item.amount, currency), locale)}"
    return text


def folded(items: Sequence[BoughtItem], currency: str, locale: Locale) -> str:
    """The first few items on one line, the rest counted: 'Brot 3,80 €, … 4 more'."""
    shown = [shown_item(item, currency, locale) for item in items[:SHOWN_ITEMS]]
    more = len(items) - SHOWN_ITEMS
    return ", ".join(shown) + (f", … {more} more" if more > 0 else "")


def exported(items: Sequence[BoughtItem]) -> str:
    """One spreadsheet cell: '3 x Brezel = 2.70; Roggenbrot = 3.80' (exact decimals)."""
    parts = []
    for item in items:
        text = item.name if item.qty is None else f"{plain_number(item.qty)} x {item.name}"
        parts.append(text if item.amount is None else f"{text} = {item.amount}")
    return "; ".join(parts)
