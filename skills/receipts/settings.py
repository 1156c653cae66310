"""`[skills.receipts]`: reading photos of receipts into draft expenses."""

from __future__ import annotations

from pydantic import Field

from bot.config import Section


class ReceiptSettings(Section):
    enabled: bool = True
    """Off: photos get "I can't read photos" instead of a draft expense."""
    currency: str = "EUR"
    """The currency of a receipt that prints no currency sign or code."""
    ocr_threads: int = Field(default=1, ge=0, le=64)
    """Threads one photo's OCR may use; 0 lets onnxruntime choose (all cores). One keeps a core
    free for the other chats, and on a busy 2-core box used a third less CPU than two."""
