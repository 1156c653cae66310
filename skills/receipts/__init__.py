"""Receipts: a photo of a receipt is read on this machine and drafted into the family budget."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator, Mapping

from pydantic import SecretStr

from bot.services import SkillServices
from bot.skills import MediaHandler, Skill
from skills.receipts.drafting import RECEIPT_BUTTONS, read_photo
from skills.receipts.reader import ReceiptReader
from skills.receipts.settings import ReceiptSettings


@contextlib.asynccontextmanager
async def reading(
    services: SkillServices, _secrets: Mapping[str, SecretStr]
) -> AsyncIterator[ReceiptReader]:
    """The OCR reader; its models load with the first photo, not at start-up."""
    yield ReceiptReader(services.settings_as(ReceiptSettings).ocr_threads)


SKILL = Skill(
    name="receipts",
    settings=ReceiptSettings,
    media=(MediaHandler(kinds=("photo", "document"), run=read_photo),),
    buttons=(RECEIPT_BUTTONS,),
    setup=reading,
)
