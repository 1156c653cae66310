"""From a receipt's printed lines to a draft expense: merchant, date, currency, total, items.

Receipts print many numbers that look like the total: cash given and change, VAT tables that
repeat "Summe"/"TOTAL", subtotals, tips on top, tip guides, per-person splits, loyalty points,
"TOTAL" in a shop's name. The parser reads the item lines, the lines added on top (sales tax,
tip, service charge) and every amount printed beside a total word, and accepts a total only when
it checks out: items + what was added on top = total (within 0.01). Otherwise the draft says it
is unsure and lists what it saw — a total is never a silent guess.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from itertools import combinations

AMOUNT = re.compile(
    r"(?<![\d.,])(?P<minus>-\s?)?(?:(?:R\$|US\$|[$€£])\s?)?"
    r"(?P<whole>\d{1,3}(?:[.,' ]\d{3})+|\d+)[.,](?P<cents>\d{2})(?![\d]|[.,]\d)(?P<trail>-)?"
)
DATE_DMY = re.compile(r"(?<!\d)(\d{1,2})[./-](\d{1,2})[./-](\d{4}|\d{2})(?!\d)")
DATE_ISO = re.compile(r"(?<!\d)(\d{4})-(\d{2})-(\d{2})(?!\d)")
UNIT_WORDS = re.compile(
    r"(?i)(?<![^\W\d_])(?:kg|g|lb|l|ltr|x|un|und|st|stk|eur|usd|gbp|brl|p|à|a|@|×|ea|each|pc|pcs)"
    r"(?![^\W\d_])"
)
TAX_CODE = re.compile(r"\s+[A-Z]\d?$")
"""The VAT class printed after an item's price ("A", "B", "T")."""
ITEM_NUMBERS = re.compile(r"^(?:\d{1,3}\s+)?(?:\d{8,14}\s+)?")
TRAILING_QUANTITY = re.compile(r"(?:\s+[\d.,]+\s*(?:un|kg|l)?)?\s*(?:x|×|@|à)\s*$", re.I)
LEADING_COUNT = re.compile(r"^\d{1,2}\s*(?:x|×)?\s+(?=[^\W\d_])", re.I)
LETTERS = re.compile(r"[^\W\d_]")
WEIGHED = re.compile(
    r"(?i)(?<![\d.,])(\d{1,4}(?:[.,]\d{1,3})?)\s?(?:kg|lb|l|ltr)\s*(?:x|×|@|à)(?![^\W\d_])"
)
"""'1,604 kg x 3,49 EUR/kg', '30.78 L @ 142.9p/L': the weight or volume bought."""
COUNTED = re.compile(r"(?i)(?<![\d.,])(\d{1,3})\s?(?:x|×)(?![^\W\d_])")
"""'3 x 0,90', '2x': how many were bought."""
LEADING_NUMBER = re.compile(r"^\s*(\d{1,2})\s+(?=[^\W\d_])")

TOTAL_WORDS = (
    "total", "summe", "gesamt", "zu zahlen", "endbetrag", "amount due", "balance due",
    "a pagar", "valor pago", "importe", "betrag", "totale", "montant",
)  # fmt: skip
SUBTOTAL_WORDS = ("subtotal", "sub total", "sub-total", "zwischensumme", "zw-summe", "zwsumme")
NOT_A_TOTAL = (
    "itens", "items", "artikel", "articulos", "artigos", "qtd", "savings", "saved", "ersparnis",
    "tributos", "pessoa", "per person", "por persona", "pro person", "points", "punkte",
    "pontos", "puntos", "netto", "net ", "base imponible", "base", "mwst", "vat", "iva",
    "ust", "brutto", "steuer", "imposto",
)  # fmt: skip
PAYMENT_WORDS = (
    "geg", "gegeben", "bar ", "rückgeld", "ruckgeld", "change", "cash", "cambio", "entregado",
    "troco", "dinheiro", "efectivo", "tendered", "visa", "mastercard", "card", "karte",
    "tarjeta", "cartao", "debito", "credito", "pagamento", "payment", "paid",
)  # fmt: skip
ON_TOP_WORDS = (
    "tax", "tip", "trinkgeld", "gratuity", "service", "servico", "propina", "bedienung",
    "gorjeta", "taxa de servico",
)  # fmt: skip
DISCOUNT_WORDS = ("desconto", "descuento", "rabatt", "coupon", "discount", "nachlass", "leergut")
VAT_WORDS = ("vat", "mwst", "iva", "ust", "tributos", "imposto", "steuer", "base imponible")
SKIP_AS_MERCHANT = (
    "receipt", "kassenbon", "bon", "welcome", "willkommen", "bienvenido", "bem-vindo",
    "factura", "cupom", "nota fiscal", "ticket", "recibo", "copy", "quittung", "rechnung",
)  # fmt: skip
CURRENCY_SIGNS = (("R$", "BRL"), ("€", "EUR"), ("EUR", "EUR"), ("£", "GBP"), ("GBP", "GBP"))
CURRENCY_WORDS = {
    "EUR": ("summe", "mwst", "rückgeld", "iva", "cambio", "importe", "entregado", "bar"),
    "BRL": ("cnpj", "troco", "cupom", "tributos", "dinheiro", "valor"),
    "GBP": ("vat",),
    "USD": ("sales tax",),
}
CENT = Decimal("0.01")


@dataclass(frozen=True)
class Line:
    """One printed line: its words (amounts taken out) and the amounts on it, left to right."""

    text: str
    label: str
    amounts: tuple[Decimal, ...]

    @property
    def amount(self) -> Decimal | None:
        return self.amounts[-1] if self.amounts else None

    def says(self, words: Iterable[str]) -> bool:
        key = f" {plain(self.label)} "
        return any(re.search(rf"(?<![a-z]){re.escape(word)}(?![a-z])", key) for word in words)


@dataclass(frozen=True)
class ReceiptItem:
    name: str
    amount: Decimal
    qty: Decimal | None = None
    """How many (more than one), or the weight or volume of weighed goods and fuel."""


@dataclass
class ReceiptDraft:
    merchant: str = ""
    spent_on: date | None = None
    currency: str = ""
    total: Decimal | None = None
    checked: bool = False
    """True when items + tax + tip = total: the total can be proposed as it is."""
    tax: Decimal = Decimal(0)
    tip: Decimal = Decimal(0)
    items: list[ReceiptItem] = field(default_factory=list)
    printed_totals: list[Decimal] = field(default_factory=list)
    """Every amount printed beside a total word (shown when the total is unsure)."""

    @property
    def items_sum(self) -> Decimal:
        return sum((item.amount for item in self.items), Decimal(0))

    @property
    def is_receipt(self) -> bool:
        return bool(self.printed_totals or self.items)


def plain(text: str) -> str:
    """Lower case without accents: 'Rückgeld' → 'ruckgeld', 'SERVIÇO' → 'servico'."""
    folded = unicodedata.normalize("NFKD", text.casefold())
    return "".join(char for char in folded if not unicodedata.combining(char))


def amounts_in(text: str) -> list[tuple[Decimal, tuple[int, int]]]:
    """Money amounts with exactly two decimals: '1.234,56', '-1,20', '1.50-', '$192.52'."""
    found = []
    for match in AMOUNT.finditer(text):
        whole = re.sub(r"[.,' ]", "", match["whole"])
        value = Decimal(f"{whole}.{match['cents']}")
        if match["minus"] or match["trail"]:
            value = -value
        found.append((value, match.span()))
    return found


def read_line(text: str) -> Line:
    found = amounts_in(text)
    label = text
    for _value, (start, end) in reversed(found):
        label = label[:start] + " " + label[end:]
    label = " ".join(label.replace("R$", " ").replace("€", " ").replace("£", " ").split())
    return Line(text=text, label=label, amounts=tuple(value for value, _span in found))


def parse_receipt(rows: list[str], default_currency: str = "EUR") -> ReceiptDraft:
    """The draft for a receipt whose printed lines (top to bottom) are `rows`."""
    lines = [read_line(row) for row in rows if row.strip()]
    draft = ReceiptDraft()
    draft.currency = currency_of(rows, default_currency)
    draft.spent_on = date_of(rows, month_first=draft.currency == "USD")
    first_amount = next((i for i, line in enumerate(lines) if line.amounts), len(lines))
    draft.merchant = merchant_of(lines[:first_amount])
    end_of_items = next(
        (
            i
            for i, line in enumerate(lines)
            if i >= first_amount
            and line.says((*TOTAL_WORDS, *SUBTOTAL_WORDS, *PAYMENT_WORDS, *ON_TOP_WORDS))
            and not line.says(DISCOUNT_WORDS)
        ),
        len(lines),
    )
    header_end = max(first_amount - 1, 0)  # the first item's name may stand above its amount
    draft.items = items_of(lines[header_end:end_of_items])
    on_top: list[tuple[str, Decimal]] = []
    for line in lines[end_of_items:]:
        if line.amount is None or (
            "%" in line.text and line.says(("tip",)) and line.says(TOTAL_WORDS)
        ):
            continue
        if line.says(DISCOUNT_WORDS) and line.amount < 0:
            draft.items.append(ReceiptItem(line.label, line.amount))
        elif line.says(ON_TOP_WORDS) and not line.says(VAT_WORDS) and line.amount > 0:
            on_top.append(("tax" if line.says(("tax",)) else "tip", line.amount))
        elif is_total_line(line):
            draft.printed_totals.extend(a for a in line.amounts if a > 0)
    _check(draft, on_top)
    return draft


def is_total_line(line: Line) -> bool:
    return (
        line.says(TOTAL_WORDS)
        and not line.says(SUBTOTAL_WORDS)
        and not line.says(NOT_A_TOTAL)
        and not line.says(PAYMENT_WORDS)
        and "%" not in line.text
    )


def _check(draft: ReceiptDraft, on_top: list[tuple[str, Decimal]]) -> None:
    """Accepts the largest printed total that items plus some of the on-top lines make up."""
    if not draft.items:
        return
    best: tuple[Decimal, tuple[tuple[str, Decimal], ...]] | None = None
    for size in range(len(on_top) + 1):
        for extra in combinations(on_top, size):
            made = draft.items_sum + sum((amount for _kind, amount in extra), Decimal(0))
            for printed in draft.printed_totals:
                if abs(printed - made) <= CENT and (best is None or printed > best[0]):
                    best = (printed, extra)
    if best is None:
        return
    draft.total, draft.checked = best[0], True
    draft.tax = sum((amount for kind, amount in best[1] if kind == "tax"), Decimal(0))
    draft.tip = sum((amount for kind, amount in best[1] if kind == "tip"), Decimal(0))


def items_of(lines: list[Line]) -> list[ReceiptItem]:
    """Item lines: a name and its amount (a weight or 'qty x price' line joins the name above)."""
    items: list[ReceiptItem] = []
    waiting: Line | None = None
    just_read = False
    for line in lines:
        if line.amount is None:
            waiting = line if LETTERS.search(line.label) else None
            just_read = False
            continue
        name, printed = line.label, line.text
        if is_detail(name):
            if waiting is None:
                # "2 x 0,69" under an item already counted: how many of it, not another item
                if just_read and items[-1].qty is None:
                    items[-1] = counted_below(items[-1], line)
                just_read = False
                continue
            name, printed = waiting.label, f"{waiting.text}  {line.text}"
        items.append(ReceiptItem(item_name(name), line.amount, quantity(printed, line.amounts)))
        waiting, just_read = None, True
    return items


def counted_below(item: ReceiptItem, detail: Line) -> ReceiptItem:
    """The item with the quantity printed under it, when that times the unit price makes it."""
    qty = quantity(detail.text, ())
    if qty is None or detail.amount is None or abs(qty * detail.amount - item.amount) > CENT:
        return item
    return ReceiptItem(item.name, item.amount, qty)


def quantity(printed: str, amounts: tuple[Decimal, ...]) -> Decimal | None:
    """How much of an item: '1,604 kg x', '3 x 0,90', or '2 CHEESEBURGER … @9.50 19.00'.

    A number before the name counts only when a unit price times it makes the amount (it may be
    the line's number on the receipt); a count of one is no quantity worth keeping.
    """
    weighed = WEIGHED.search(printed)
    if weighed:
        return Decimal(weighed[1].replace(",", "."))
    counted = COUNTED.search(printed)
    if counted and int(counted[1]) > 1:
        return Decimal(counted[1])
    leading = LEADING_NUMBER.match(printed)
    if leading and int(leading[1]) > 1 and len(amounts) >= 2:
        count = Decimal(leading[1])
        if count * amounts[-2] == amounts[-1]:
            return count
    if len(amounts) >= 2 and amounts[-2] > 0:
        ratio = amounts[-1] / amounts[-2]
        if ratio == ratio.to_integral_value() and 1 < ratio < 100:
            return ratio.quantize(Decimal(1))
    return None


def is_detail(label: str) -> bool:
    """'2 x', '1,604 kg X EUR/kg', '1 UN X': a quantity line, not an item's name."""
    return len(LETTERS.findall(UNIT_WORDS.sub(" ", label))) < 3


def item_name(label: str) -> str:
    """'001 5852185623978 SHAMPOO 200ML' → 'SHAMPOO 200ML'; '2 FISH TACOS' → 'FISH TACOS'."""
    name = ITEM_NUMBERS.sub("", " ".join(label.split()))
    name = TRAILING_QUANTITY.sub("", TAX_CODE.sub("", name))
    return LEADING_COUNT.sub("", name) or label


def currency_of(rows: list[str], default: str) -> str:
    text = " ".join(rows)
    for sign, code in CURRENCY_SIGNS:
        if sign in text:
            return code
    if "$" in text or "USD" in text:
        return "USD"
    words = plain(text)
    for code, clues in CURRENCY_WORDS.items():
        if any(re.search(rf"\b{re.escape(clue)}\b", words) for clue in clues):
            return code
    return default


def date_of(rows: list[str], *, month_first: bool) -> date | None:
    """The first date printed; 04/12/25 is 4 December unless the receipt is in dollars."""
    for row in rows:
        for match in DATE_ISO.finditer(row):
            found = _valid(int(match[1]), int(match[2]), int(match[3]))
            if found:
                return found
        for match in DATE_DMY.finditer(row):
            first, second, year = int(match[1]), int(match[2]), int(match[3])
            year += 2000 if year < 100 else 0
            if first > 12 or (second <= 12 and not month_first):
                found = _valid(year, second, first)
            else:
                found = _valid(year, first, second)
            if found:
                return found
    return None


def _valid(year: int, month: int, day: int) -> date | None:
    try:
        return date(year, month, day) if 2000 <= year <= 2099 else None
    except ValueError:
        return None


def merchant_of(header: list[Line]) -> str:
    """The first line of the header that reads like a name (not an address, phone or date)."""
    for line in header:
        text = " ".join(line.text.split())
        letters = len(LETTERS.findall(text))
        if letters < 3 or letters < len(text.replace(" ", "")) * 0.6:
            continue
        if any(word in plain(text) for word in SKIP_AS_MERCHANT) and len(text.split()) <= 3:
            continue
        return text
    return ""
