"""A photo of a receipt becomes a draft expense the member saves, edits or discards.

The photo is read in the worker pool ("ocr"), parsed, and shown: merchant, date, total, the items
folded into one line. A total that checks out is proposed as `budget.add_expense` (with the items
and the photo's hash) through the normal confirmation (OCR text is untrusted, so the member
always says yes first), with Save / Edit / Discard buttons; a total that does not check out is
never proposed: the draft says what was printed and asks the member to type the amount.
A photo already saved gets what was saved and "Save it again?"; a different photo of a receipt
with the same shop, day and total gets a warning on its draft.
"""

from __future__ import annotations

import hashlib
from decimal import Decimal
from pathlib import Path

from babel import Locale, UnknownLocaleError
from babel.numbers import format_decimal

from bot import confirmations
from bot.actions import Turn, run_action
from bot.markdown import escape
from bot.media import MediaProblem
from bot.messages import Attachment, Button, Outcome
from bot.replies import say
from bot.services import SkillServices
from bot.skills import ButtonAction
from skills.receipts.earlier import saved_before
from skills.receipts.parser import ReceiptDraft, ReceiptItem, parse_receipt
from skills.receipts.reader import PhotoProblem, ReceiptReader
from skills.receipts.settings import ReceiptSettings

SKILL = "receipts"
EXPENSE_TOOL = "budget.add_expense"
NOT_A_RECEIPT = (
    "I couldn't find a receipt in that photo. If it is one, try a straighter, brighter photo; "
    "otherwise tell me what you'd like me to do with it."
)
SHOWN_ITEMS = 8
EDIT = (
    "I've put that draft aside. Tell me what's right, e.g. “I spent 22,50 € at the bakery "
    "on 2025-07-04”, and I'll record that instead."
)


def is_picture(attachment: Attachment) -> bool:
    return attachment.kind == "photo" or (attachment.mime_type or "").startswith("image/")


def locale_of(turn: Turn) -> Locale:
    language = turn.member.language or turn.app.settings.household.language
    try:
        return Locale.parse(language.replace("-", "_"))
    except (UnknownLocaleError, ValueError):
        return Locale.parse("en")


async def read_photo(turn: Turn, attachments: tuple[Attachment, ...]) -> Outcome | None:
    """A receipt photo gets a draft; another photo a sentence (or, with a caption, the caption)."""
    services = turn.app.skill(SKILL).services
    settings = services.settings_as(ReceiptSettings)
    pictures = [attachment for attachment in attachments if is_picture(attachment)]
    if not settings.enabled or not pictures:
        return None
    try:
        path = await turn.app.media.fetch(turn.incoming, pictures[0])
    except MediaProblem:
        if turn.incoming.text.strip():
            return None  # the caption is still handled, with a line about the photo
        raise
    try:
        rows = await services.workers.run("ocr", services.client_as(ReceiptReader).read, path)
    except PhotoProblem as problem:
        return say(turn, "media", str(problem))
    draft = parse_receipt(rows, settings.currency)
    services.log.info(
        "receipt from %s: %d lines, total %s (checked %s)",
        turn.member.name,
        len(rows),
        draft.total,
        draft.checked,
    )
    if not draft.is_receipt:
        return None if turn.incoming.text.strip() else say(turn, "media", NOT_A_RECEIPT)
    return await propose(turn, services, draft, path)


async def propose(
    turn: Turn, services: SkillServices, draft: ReceiptDraft, photo: Path
) -> Outcome:
    locale = locale_of(turn)
    shown = describe(draft, locale)
    photo_hash = await services.workers.run("ocr", fingerprint, photo)
    total = "" if draft.total is None else f"{money(draft.total, locale)} {draft.currency}"
    spent_on = draft.spent_on.isoformat() if draft.spent_on else ""
    merchant = draft.merchant[:120]
    earlier = await saved_before(
        turn, photo_hash, merchant, spent_on, total if draft.checked else ""
    )
    if not draft.checked or draft.total is None:
        before = f"{earlier.sentence}\n\n" if earlier and earlier.how == "photo" else ""
        return say(turn, "media", f"{before}{shown}\n\n{unsure(draft, locale)}")
    args = {
        "amount": total,
        "merchant": merchant,
        "spent_on": spent_on,
        "items": [bought(item, locale) for item in draft.items][:50],
        "note": "read from a receipt photo",
        "photo_hash": photo_hash,
    }
    turn.read_untrusted = True  # OCR text is data: the member confirms before anything is saved
    result = await run_action(turn, EXPENSE_TOOL, args)
    question = result.reply
    if result.status != "needs_confirmation" or question is None:
        return say(turn, "media", f"{shown}\n\n{result.text}")
    pending = question.confirmation_id
    if earlier is not None and earlier.how == "photo":
        text = f"{earlier.sentence} Save it again?"
        buttons: tuple[Button, ...] = (
            Button(label="Save again", data=f"confirm:{pending}:yes", emoji="✅"),
            Button(label="Discard", data=f"confirm:{pending}:no", emoji="🗑️"),
        )
    else:
        warning = f"\n⚠️ {earlier.sentence}" if earlier is not None else ""
        text = f"{shown}{warning}\n\n{question.text}"
        buttons = (
            Button(label="Save", data=f"confirm:{pending}:yes", emoji="✅"),
            Button(label="Edit", data=f"receipt:edit:{pending}", emoji="✏️"),
            Button(label="Discard", data=f"confirm:{pending}:no", emoji="🗑️"),
        )
    reply = question.model_copy(update={"text": text, "buttons": buttons})
    return Outcome(route="media", replies=(reply,), actions=tuple(turn.reports))


def bought(item: ReceiptItem, locale: Locale) -> dict[str, str]:
    """One item as `budget.add_expense` takes it: name, how many, what the line cost."""
    given = {"name": item.name[:120], "amount": money(item.amount, locale)}
    if item.qty is not None:
        given["qty"] = format(item.qty.normalize(), "f")
    return given


def describe(draft: ReceiptDraft, locale: Locale) -> str:
    """The draft as the member reads it: where, when, how much, and the items folded."""
    lines = ["🧾 *Receipt*"]
    lines.append(f"Shop: {escape(draft.merchant) if draft.merchant else 'not found'}")
    when = draft.spent_on.isoformat() if draft.spent_on else "not found (today, unless you say)"
    lines.append(f"Date: {when}")
    if draft.total is not None:
        lines.append(f"Total: {money(draft.total, locale)} {draft.currency}")
    if draft.tax:
        lines.append(f"Tax: {money(draft.tax, locale)}")
    if draft.tip:
        lines.append(f"Tip: {money(draft.tip, locale)}")
    if draft.items:
        names = [escape(shown_item(item, locale)) for item in draft.items[:SHOWN_ITEMS]]
        more = len(draft.items) - SHOWN_ITEMS
        lines.append(
            f"Items ({len(draft.items)}): "
            + ", ".join(names)
            + (f", … {more} more" if more > 0 else "")
        )
    return "\n".join(lines)


def unsure(draft: ReceiptDraft, locale: Locale) -> str:
    """The question when the total does not check out: what was printed, what the items make."""
    seen = sorted(set(draft.printed_totals), reverse=True)
    printed = ", ".join(money(amount, locale) for amount in seen)
    parts = ["I'm not sure of the total, so I haven't drafted the expense."]
    if printed and draft.items:
        parts.append(
            f"The receipt prints {printed} beside “total”, but the items I read add up to "
            f"{money(draft.items_sum, locale)}."
        )
    elif printed:
        parts.append(
            f"The receipt prints {printed} beside “total”, but I couldn't read the items."
        )
    else:
        parts.append("I couldn't find the total on it.")
    where = f" at {escape(draft.merchant)}" if draft.merchant else ""
    parts.append(f"Please type it, e.g. “I spent 12,34 {draft.currency}{where}”.")
    return " ".join(parts)


def shown_item(item: ReceiptItem, locale: Locale) -> str:
    """'3 × Brezel 2,70': how many (when more than one), the name, what the line cost."""
    count = "" if item.qty is None else f"{format_decimal(item.qty.normalize(), locale=locale)} × "
    return f"{count}{item.name} {money(item.amount, locale)}"


def money(amount: Decimal, locale: Locale) -> str:
    return str(format_decimal(amount, format="#,##0.00", locale=locale))


def fingerprint(photo: Path) -> str:
    """The photo's SHA-256: the same photo twice is recognised."""
    return hashlib.sha256(photo.read_bytes()).hexdigest()


async def answer_button(turn: Turn, rest: str) -> Outcome:
    """Edit: the draft is put aside (its confirmation answered no) and the member types it."""
    _edit, _, pending = rest.partition(":")
    if pending.isdigit():
        await confirmations.answer(turn, int(pending), False)
    return say(turn, "media", EDIT)


RECEIPT_BUTTONS = ButtonAction(prefix="receipt", run=answer_button)
