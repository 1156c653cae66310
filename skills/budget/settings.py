"""`[skills.budget]`: the household's currency, its spending categories and when to warn."""

from __future__ import annotations

from babel.numbers import list_currencies
from pydantic import Field, field_validator

from bot.config import Section

_DEFAULT_ALIASES = {
    "groceries": "grocery, food, supermarket, bakery, baker, lidl, aldi, rewe, edeka, "
    "lebensmittel, supermarkt, bäcker, bäckerei, mercado, supermercado, padaria, panadería, "
    "comida",
    "health": "pharmacy, chemist, doctor, dentist, apotheke, arzt, farmácia, farmacia, médico",
    "transport": "fuel, petrol, gas station, bus, train, taxi, tanken, tankstelle, bahn, "
    "gasolina, combustível, posto, gasolinera",
    "eating out": "restaurant, cafe, café, pizza, takeaway, lunch, dinner, restaurante, imbiss",
    "household": "hardware, ikea, drogerie, cleaning, casa, hogar, haushalt",
    "clothes": "clothing, shoes, kleidung, schuhe, roupa, roupas, ropa, zapatos",
    "fun": "cinema, movies, toys, games, kino, spielzeug, cine, brinquedos",
    "other": "",
}
DEFAULT_CATEGORIES = {
    name: [alias.strip() for alias in aliases.split(",") if alias.strip()]
    for name, aliases in _DEFAULT_ALIASES.items()
}
"""Category → words that mean it (also merchants: "Lidl" is groceries)."""


class BudgetSettings(Section):
    currency: str = "EUR"
    """The household's currency (ISO 4217); amounts in others are kept as entered."""
    categories: dict[str, list[str]] = Field(default_factory=lambda: dict(DEFAULT_CATEGORIES))
    warn_at: list[int] = Field(default_factory=lambda: [80, 100])
    """Percentages of a monthly limit at which the spender and the parents are told, once."""
    undo_days: int = Field(default=7, ge=1, le=90)
    """How long a deleted expense stays in the bin, where it can be brought back."""

    @field_validator("currency")
    @classmethod
    def _known_currency(cls, value: str) -> str:
        code = value.strip().upper()
        if code not in list_currencies():
            raise ValueError(f"unknown currency {value!r} (use an ISO code such as EUR or BRL)")
        return code

    @field_validator("warn_at")
    @classmethod
    def _percentages(cls, value: list[int]) -> list[int]:
        if any(not 1 <= percent <= 1000 for percent in value):
            raise ValueError("warn_at holds percentages between 1 and 1000, e.g. [80, 100]")
        return sorted(set(value))

    def category_for(self, *words: str) -> str | None:
        """The category a word names, itself or as an alias ("Lidl" → groceries)."""
        for word in words:
            key = " ".join(word.casefold().split())
            if not key:
                continue
            for name, aliases in self.categories.items():
                if key == name.casefold() or key in (alias.casefold() for alias in aliases):
                    return name
        return None
