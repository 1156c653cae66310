"""The receipt parser on printed lines: the total is the one that checks out, never a guess."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from skills.receipts.parser import parse_receipt

CAFE_WITH_CASH = """Café Sonnenschein
Hauptstr. 3, 10115 Berlin
12.03.2025 09:41
Cappuccino  2 x 3,20  6,40 B
Croissant  2,90 B
Pfand Becher  1,00 A
Leergut  -1,00 A
SUMME EUR  9,30
Geg. Bar  EUR 20,00
Rückgeld  EUR 10,70
MwSt  Netto  MwSt  Brutto
B= 7%  8,69  0,61  9,30
Summe  8,69  0,61  9,30"""

US_DINER_WITH_TIP = """TOTAL BURGER CO
55 MAIN ST
03/04/2025 07:12 PM
2 CHEESEBURGER
@9.50  19.00
FRIES  4.25
SUBTOTAL  23.25
SALES TAX 8%  1.86
AMOUNT DUE  25.11
TIP  4.00
TOTAL  $29.11
--- TIP GUIDE ---
18% tip = $4.19  total $29.30
20% tip = $4.65  total $29.76"""

SPANISH_WITH_VAT_TABLE = """Ferretería López
Fecha: 07/02/2025
1  MARTILLO  9,95
2  TORNILLOS 50U  1,20  2,40
TOTAL A PAGAR  12,35 €
ENTREGADO  20,00
CAMBIO  7,65
IVA  BASE IMPONIBLE  CUOTA
21%  10,21  2,14
TOTAL  10,21  2,14"""


def test_a_german_receipt_with_cash_change_and_a_vat_table_reads_the_real_total() -> None:
    draft = parse_receipt(CAFE_WITH_CASH.splitlines())

    assert (draft.total, draft.checked, draft.currency) == (Decimal("9.30"), True, "EUR")
    assert draft.spent_on == date(2025, 3, 12)
    assert draft.merchant == "Café Sonnenschein"
    assert [item.name for item in draft.items] == [
        "Cappuccino",
        "Croissant",
        "Pfand Becher",
        "Leergut",
    ]


def test_a_us_receipt_with_tax_and_tip_on_top_ignores_the_tip_guide_and_reads_month_first() -> (
    None
):
    draft = parse_receipt(US_DINER_WITH_TIP.splitlines())

    assert (draft.total, draft.checked, draft.currency) == (Decimal("29.11"), True, "USD")
    assert (draft.tax, draft.tip) == (Decimal("1.86"), Decimal("4.00"))
    assert draft.spent_on == date(2025, 3, 4)
    assert draft.merchant == "TOTAL BURGER CO"
    assert [item.name for item in draft.items] == ["CHEESEBURGER", "FRIES"]


def test_a_spanish_receipt_reads_day_first_and_skips_the_iva_total_row() -> None:
    draft = parse_receipt(SPANISH_WITH_VAT_TABLE.splitlines())

    assert (draft.total, draft.checked) == (Decimal("12.35"), True)
    assert draft.spent_on == date(2025, 2, 7)


def test_items_that_do_not_add_up_leave_the_total_unchecked_instead_of_guessing() -> None:
    lines = CAFE_WITH_CASH.replace("Croissant  2,90 B", "Croissant  2,60 B").splitlines()

    draft = parse_receipt(lines)

    assert (draft.total, draft.checked) == (None, False)
    assert Decimal("9.30") in draft.printed_totals


def test_a_receipt_without_a_total_line_is_not_checked() -> None:
    draft = parse_receipt(["Bäckerei Korn", "Brot  3,20", "Brötchen  1,60"])

    assert (draft.total, draft.checked) == (None, False)
    assert draft.items_sum == Decimal("4.80")


def test_a_photo_without_amounts_is_not_a_receipt() -> None:
    assert not parse_receipt(["Happy birthday Leo!", "Love, Grandma"]).is_receipt


def test_items_keep_how_many_were_bought_and_the_weight_of_weighed_goods() -> None:
    """Issue 14: the draft passes each item's quantity and amount on to the budget."""
    lines = """Naturkost Laden
Weintrauben hell
1,604 kg x 3,49 EUR/kg  5,60
Sprudel medium  2 x 0,69  1,38
Zwiebeln 1kg  1,29
SUMME EUR  8,27""".splitlines()

    draft = parse_receipt(lines)

    assert [(item.name, item.qty, item.amount) for item in draft.items] == [
        ("Weintrauben hell", Decimal("1.604"), Decimal("5.60")),
        ("Sprudel medium", Decimal(2), Decimal("1.38")),
        ("Zwiebeln 1kg", None, Decimal("1.29")),
    ]


def test_a_count_before_the_name_is_a_quantity_only_when_the_unit_price_agrees() -> None:
    diner = parse_receipt(US_DINER_WITH_TIP.splitlines())
    shop = parse_receipt(SPANISH_WITH_VAT_TABLE.splitlines())

    assert [(item.name, item.qty) for item in diner.items] == [
        ("CHEESEBURGER", Decimal(2)),
        ("FRIES", None),
    ]
    assert [(item.name, item.qty) for item in shop.items] == [
        ("MARTILLO", None),
        ("TORNILLOS 50U", Decimal(2)),
    ]


def test_fuel_by_the_litre_keeps_the_litres() -> None:
    draft = parse_receipt(
        ["Moorgate Fuel", "UNLEADED", "30.78 L @ 142.9p/L  43.98", "TOTAL  £43.98"]
    )

    assert [(item.name, item.qty, item.amount) for item in draft.items] == [
        ("UNLEADED", Decimal("30.78"), Decimal("43.98"))
    ]


def test_a_quantity_printed_under_its_item_belongs_to_it() -> None:
    lines = """Naturkost Laden
Sprudel medium 0,75L  1,38 A
2 × 0,69
Weintrauben hell  5,60 B
1,604 kg x 3,49 EUR/kg
Brot  2,00 B
3 x 9,99
SUMME EUR  8,98""".splitlines()

    draft = parse_receipt(lines)

    assert [(item.amount, item.qty) for item in draft.items] == [
        (Decimal("1.38"), Decimal(2)),
        (Decimal("5.60"), Decimal("1.604")),
        (Decimal("2.00"), None),  # 3 x 9,99 is not 2,00: not its quantity
    ]
