"""Amounts as family members write them, read exactly in their own locale (issue 13, item 7)."""

from __future__ import annotations

from decimal import Decimal

import pytest

from skills.budget.commands import split_amount
from skills.budget.money import Money, MoneyError, locale_for, parse_money, show


@pytest.mark.parametrize(
    ("language", "text", "amount", "currency"),
    [
        ("en", "42,50 €", "42.50", "EUR"),
        ("pt", "R$ 35,90", "35.90", "BRL"),
        ("en", "$1,234.56", "1234.56", "USD"),
        ("en", "12.50", "12.50", "EUR"),
        ("de", "12.50", "12.50", "EUR"),
        ("de", "1.234,56 €", "1234.56", "EUR"),
        ("de", "1 234,56 €", "1234.56", "EUR"),
        ("de", "30 Euro", "30.00", "EUR"),
        ("es", "20 euros", "20.00", "EUR"),
        ("en", "USD 3", "3.00", "USD"),
        ("en", "¥500", "500", "JPY"),
        ("en", "1,234", "1234.00", "EUR"),
        # Said aloud (issue 14), once the words are digits: cents after the currency or units.
        ("en", "72 euros 30", "72.30", "EUR"),
        ("de", "11 Euro 90", "11.90", "EUR"),
        ("pt", "45 reais e 90", "45.90", "BRL"),
        ("es", "32 euros con 40", "32.40", "EUR"),
        ("en", "20 dollars and 5 cents", "20.05", "USD"),
        ("en", "12 90", "12.90", "EUR"),
        ("en", "41 euro for 20", "41.20", "EUR"),
    ],
)
def test_amounts_are_read_in_the_members_locale_as_exact_decimals(
    language: str, text: str, amount: str, currency: str
) -> None:
    money = parse_money(text, locale_for(language), "EUR")

    assert money == Money(Decimal(amount), currency)
    assert Money.from_minor(money.minor, currency).plain() == amount


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        ("lots", "I can't find an amount in “lots”."),
        ("12.505", "“12.505” has more decimals than EUR amounts have."),
        ("0", "The amount has to be above zero."),
        ("12 bananas", "I can't read “12 bananas” as an amount of money."),
        ("12 for 90", "I can't read “12 for 90” as an amount of money."),
        ("12 bananas 50", "I can't read “12 bananas 50” as an amount of money."),
    ],
)
def test_what_is_not_an_amount_gets_one_kind_sentence(text: str, problem: str) -> None:
    with pytest.raises(MoneyError) as raised:
        parse_money(text, locale_for("en"), "EUR")

    assert str(raised.value) == problem


def test_amounts_are_shown_as_the_member_writes_them() -> None:
    money = Money(Decimal("42.50"), "EUR")

    assert show(money, locale_for("de")) == "42,50\xa0€"
    assert show(money, locale_for("en")) == "€42.50"
    assert show(money, locale_for("xx-unknown")) == "€42.50"


@pytest.mark.parametrize(
    ("argument", "amount", "rest"),
    [
        ("12.50 groceries Lidl", "12.50", ["groceries", "Lidl"]),
        ("42,50 € groceries", "42,50 €", ["groceries"]),
        ("R$ 35,90 mercado", "R$ 35,90", ["mercado"]),
        ("€12 bus", "€12", ["bus"]),
        ("groceries 12", "", ["groceries", "12"]),
    ],
)
def test_spent_finds_the_amount_at_the_start(argument: str, amount: str, rest: list[str]) -> None:
    assert split_amount(argument) == (amount, rest)
