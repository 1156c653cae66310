"""Voice notes, photos and files are answered, never silently dropped; captions still count."""

from __future__ import annotations

from bot.context import AppContext
from bot.family import Member
from bot.messages import Attachment
from handlers.media import NOT_YET
from tests.support.home import FamilyChats, MakeIncoming


async def test_a_file_no_skill_reads_gets_a_kind_answer(
    parent: Member, chats: FamilyChats, make_incoming: MakeIncoming
) -> None:
    pdf = Attachment(kind="document", file_id="d1", name="school.pdf", mime_type="application/pdf")

    outcome = await chats.send(make_incoming(attachments=(pdf,)))

    assert outcome.route == "media"
    assert chats.texts() == [NOT_YET["document"]]


async def test_a_voice_note_that_cannot_be_downloaded_gets_a_kind_answer(
    parent: Member, chats: FamilyChats, make_incoming: MakeIncoming
) -> None:
    outcome = await chats.send(
        make_incoming(attachments=(Attachment(kind="voice", file_id="v1", duration_s=4.0),))
    )

    assert outcome.route == "media"
    assert chats.texts() == ["I couldn't download that voice note — please send it again."]


async def test_a_photo_with_a_caption_still_handles_the_caption(
    app: AppContext, parent: Member, chats: FamilyChats, make_incoming: MakeIncoming
) -> None:
    outcome = await chats.send(
        make_incoming("we need bread", attachments=(Attachment(kind="photo", file_id="p1"),))
    )

    assert [(a.tool, a.status) for a in outcome.actions] == [("lists.add", "done")]
    assert chats.texts() == [NOT_YET["photo"], "Added bread to Shopping."]
    assert (app.settings.vault.path / "Lists" / "Shopping.md").is_file()
