"""`[skills.lists]`: where the lists live and what families call them."""

from __future__ import annotations

from pydantic import Field

from bot.config import Section


class ListsSettings(Section):
    folder: str = "Lists"
    default_list: str = "Shopping"
    aliases: dict[str, str] = Field(
        default_factory=lambda: {
            "shopping": "Shopping",
            "shop": "Shopping",
            "store": "Shopping",
            "supermarket": "Shopping",
            "groceries": "Shopping",
            "grocery": "Shopping",
            "einkauf": "Shopping",
            "einkaufs": "Shopping",
            "einkaufsliste": "Shopping",
            "compras": "Shopping",
            "compra": "Shopping",
            "mercado": "Shopping",
            "supermercado": "Shopping",
            "todo": "To-do",
            "to-do": "To-do",
            "to do": "To-do",
        }
    )
