"""Argument shapes small models get wrong are mended only when the intent is unambiguous."""

from __future__ import annotations

from pydantic import BaseModel

from bot.llm.repair import mend_arguments
from skills.lists.tools import ListItemsArgs


class Search(BaseModel):
    query: str
    limit: int | None = None


def test_schema_shaped_object_where_a_string_belongs_becomes_the_string() -> None:
    mended = mend_arguments(Search, {"query": {"type": "function", "name": "slugify"}})
    assert mended == {"query": "slugify"}


def test_a_single_item_where_a_list_belongs_becomes_a_list() -> None:
    mended = mend_arguments(ListItemsArgs, {"items": "milk", "list_name": "shopping"})
    assert ListItemsArgs.model_validate(mended).items == ["milk"]


def test_a_list_of_one_where_one_value_belongs_is_unwrapped() -> None:
    assert mend_arguments(Search, {"query": ["slugify"], "limit": [3]}) == {
        "query": "slugify",
        "limit": 3,
    }


def test_ambiguous_shapes_are_left_for_validation_to_reject() -> None:
    odd = {"query": {"type": "function", "arguments": {}}, "extra": 1}
    assert mend_arguments(Search, odd) == odd
