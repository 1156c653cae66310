"""Mending the argument shapes small models get wrong, before validation rejects them.

Each repair is one the model's intent leaves no doubt about: a schema-shaped object where a
string belongs (`{"query": {"type": "function", "name": "slugify"}}`), one item where a list
belongs (`"items": "milk"`), or a list of one where a single value belongs. Anything else goes
to validation unchanged, and its error goes back to the model.
"""

from __future__ import annotations

import types
from typing import Any, Union, get_args, get_origin

from pydantic import BaseModel

VALUE_KEYS = ("value", "name", "text", "query", "content", "title")


def mend_arguments(model: type[BaseModel], arguments: dict[str, Any]) -> dict[str, Any]:
    """The arguments with each unambiguous shape mistake fixed for `model`'s fields."""
    mended = dict(arguments)
    for name, field in model.model_fields.items():
        key = name if name in mended else field.alias
        if key is None or key not in mended:
            continue
        mended[key] = _mend(field.annotation, mended[key])
    return mended


def _mend(annotation: Any, value: Any) -> Any:
    kinds = _kinds(annotation)
    if str in kinds and isinstance(value, dict):
        found = [value[k] for k in VALUE_KEYS if isinstance(value.get(k), str)]
        return found[0] if found else value
    if list in kinds and isinstance(value, str | int | float) and str not in kinds:
        return [value]
    if list not in kinds and isinstance(value, list) and len(value) == 1:
        return value[0]
    return value


def _kinds(annotation: Any) -> set[type]:
    """The plain types an annotation accepts: `list[str] | None` → {list, NoneType}."""
    origin = get_origin(annotation)
    if origin in (Union, types.UnionType):
        return {kind for arg in get_args(annotation) for kind in _kinds(arg)}
    if origin is not None:
        return {origin} if isinstance(origin, type) else set()
    return {annotation} if isinstance(annotation, type) else set()
