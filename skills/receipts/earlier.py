"""Was this receipt saved before? The budget answers (its `budget.find_receipt` tool).

The question is the reader's own check before a draft is shown, not something the member asked,
so it is not one of the turn's actions; a member who may not read the budget gets no answer here
(and their draft is then shown as it is).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Literal

from pydantic import ValidationError

from bot.actions import Turn
from bot.tools import ToolContext, ToolError, is_allowed

FIND_TOOL = "budget.find_receipt"
log = logging.getLogger(__name__)


@dataclass(frozen=True)
class SavedBefore:
    """`photo`: this very photo was saved; `receipt`: one with the same shop, day and total."""

    how: Literal["photo", "receipt"]
    sentence: str


async def saved_before(
    turn: Turn, photo_hash: str, merchant: str, spent_on: str, amount: str
) -> SavedBefore | None:
    app = turn.app
    tool = app.tools.get(FIND_TOOL)
    if tool is None or not is_allowed(app.permissions(turn.member.role), FIND_TOOL):
        return None
    try:
        args = tool.args.model_validate(
            {
                "photo_hash": photo_hash,
                "merchant": merchant,
                "spent_on": spent_on,
                "amount": amount,
            }
        )
        context = ToolContext(
            services=app.services_for(tool),
            member=turn.member,
            channel=turn.incoming.channel,
            chat_id=turn.incoming.chat_id,
        )
        result = await tool.run(context, args)
    except (ValidationError, ToolError) as problem:
        log.info("could not look for an earlier copy of this receipt: %s", problem)
        return None
    if result.data.get("same_photo"):
        return SavedBefore("photo", result.text)
    if result.data.get("same_receipt"):
        return SavedBefore("receipt", result.text)
    return None
