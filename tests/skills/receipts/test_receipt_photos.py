"""A photo of a receipt becomes a draft expense; Save records it in the budget (issue 14)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from PIL import Image

from bot.channels.console import read_local_file
from bot.context import AppContext
from bot.family import Member
from bot.messages import Attachment
from tests.skills.receipts.pictures import BAKERY, blank_picture, receipt_picture
from tests.support.home import FamilyChats, MakeIncoming

pytestmark = pytest.mark.slow


def photo(path: Path) -> Attachment:
    return Attachment(kind="photo", file_id=str(path), size=path.stat().st_size)


@pytest.fixture
def reading(app: AppContext) -> AppContext:
    """Photos "downloaded" from local files, as `gepeto say --attach` sends them."""
    app.media.register("telegram", read_local_file)
    return app


async def test_a_receipt_photo_is_drafted_and_saved_into_the_budget(
    reading: AppContext,
    parent: Member,
    chats: FamilyChats,
    make_incoming: MakeIncoming,
    tmp_path: Path,
) -> None:
    outcome = await chats.send(make_incoming(attachments=(photo(receipt_picture(tmp_path)),)))

    (action,) = outcome.actions
    assert (action.tool, action.status) == ("budget.add_expense", "needs_confirmation")
    assert action.args["amount"] == "9.00 EUR"
    assert action.args["spent_on"] == "2025-06-14"
    assert action.args["merchant"] == "Backerei Korn"
    assert action.args["items"] == [
        {"name": "Roggenbrot", "qty": None, "amount": "3.80"},
        {"name": "Brezel", "qty": "3", "amount": "2.70"},
        {"name": "Apfelkuchen", "qty": None, "amount": "2.50"},
    ]
    assert re.fullmatch("[0-9a-f]{64}", action.args["photo_hash"])
    draft = chats.delivered[-1].reply
    assert "Total: 9.00 EUR" in draft.text
    assert "Items (3): Roggenbrot 3.80, 3 × Brezel 2.70, Apfelkuchen 2.50" in draft.text
    assert [button.label for button in draft.buttons] == ["Save", "Edit", "Discard"]
    save = draft.buttons[0].data

    await chats.send(make_incoming(button=save))

    assert chats.texts()[-1] == (
        "Recorded #1 €9.00 for Other at Backerei Korn.\n"
        "Items: Roggenbrot €3.80, 3 × Brezel €2.70, Apfelkuchen €2.50"
    )


async def test_the_same_receipt_photo_twice_says_what_was_saved_and_asks_before_saving_again(
    reading: AppContext,
    parent: Member,
    chats: FamilyChats,
    make_incoming: MakeIncoming,
    tmp_path: Path,
) -> None:
    picture = photo(receipt_picture(tmp_path))
    await chats.send(make_incoming(attachments=(picture,)))
    await chats.send(make_incoming(button=chats.delivered[-1].reply.buttons[0].data))

    again = await chats.send(make_incoming(attachments=(picture,)))

    (action,) = again.actions
    assert (action.tool, action.status) == ("budget.add_expense", "needs_confirmation")
    question = chats.delivered[-1].reply
    assert question.text == (
        "I already saved this receipt on 14 Jun: Backerei Korn, €9.00 (#1). Save it again?"
    )
    assert [button.label for button in question.buttons] == ["Save again", "Discard"]

    await chats.send(make_incoming(button=question.buttons[0].data))

    assert chats.texts()[-1].startswith("Recorded #2 €9.00 for Other at Backerei Korn.")


async def test_another_photo_of_a_receipt_already_saved_is_drafted_with_a_warning(
    reading: AppContext,
    parent: Member,
    chats: FamilyChats,
    make_incoming: MakeIncoming,
    tmp_path: Path,
) -> None:
    await chats.send(make_incoming(attachments=(photo(receipt_picture(tmp_path)),)))
    await chats.send(make_incoming(button=chats.delivered[-1].reply.buttons[0].data))
    retaken = receipt_picture(tmp_path, (*BAKERY, ("Danke!", "")), name="again.png")

    await chats.send(make_incoming(attachments=(photo(retaken),)))

    draft = chats.delivered[-1].reply
    assert "Total: 9.00 EUR" in draft.text
    assert "⚠️ This looks like #1, already saved on 14 Jun: Backerei Korn, €9.00." in draft.text
    assert [button.label for button in draft.buttons] == ["Save", "Edit", "Discard"]


async def test_a_receipt_whose_items_do_not_add_up_asks_for_the_total(
    reading: AppContext,
    parent: Member,
    chats: FamilyChats,
    make_incoming: MakeIncoming,
    tmp_path: Path,
) -> None:
    wrong = tuple((w, "3,10" if w == "Apfelkuchen" else a) for w, a in BAKERY)

    outcome = await chats.send(
        make_incoming(attachments=(photo(receipt_picture(tmp_path, wrong)),))
    )

    assert outcome.actions == ()
    (answer,) = chats.texts()
    assert "I'm not sure of the total, so I haven't drafted the expense." in answer
    assert "prints 9.00 beside “total”, but the items I read add up to 9.60" in answer


async def test_a_photo_that_is_not_a_receipt_gets_a_sentence(
    reading: AppContext,
    parent: Member,
    chats: FamilyChats,
    make_incoming: MakeIncoming,
    tmp_path: Path,
) -> None:
    await chats.send(make_incoming(attachments=(photo(blank_picture(tmp_path)),)))

    assert chats.texts()[0].startswith("I couldn't find a receipt in that photo.")


async def test_a_damaged_picture_is_answered_kindly(
    reading: AppContext,
    parent: Member,
    chats: FamilyChats,
    make_incoming: MakeIncoming,
    tmp_path: Path,
) -> None:
    broken = tmp_path / "broken.jpg"
    broken.write_bytes(b"\xff\xd8\xff\xe0 not really a jpeg")

    await chats.send(make_incoming(attachments=(photo(broken),)))

    assert chats.texts() == [
        "I couldn't open that picture — it may be damaged. Please send it again."
    ]


async def test_a_receipt_photographed_upside_down_is_still_read(
    reading: AppContext,
    parent: Member,
    chats: FamilyChats,
    make_incoming: MakeIncoming,
    tmp_path: Path,
) -> None:
    upside_down = tmp_path / "upside-down.png"
    with Image.open(receipt_picture(tmp_path)) as picture:
        picture.rotate(180).save(upside_down)

    outcome = await chats.send(make_incoming(attachments=(photo(upside_down),)))

    (action,) = outcome.actions
    assert (action.args["amount"], action.args["merchant"]) == ("9.00 EUR", "Backerei Korn")
