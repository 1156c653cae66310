"""Every voice note is answered: the transcript is shown, then acted on as the issue asks (14)."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.context import AppContext
from bot.family import Member
from skills.voice.transcriber import Transcriber, Transcript
from tests.skills.voice.clips import needs_ffmpeg, needs_speech_tools, silence, spoken
from tests.skills.voice.conftest import voice_note
from tests.support.home import FamilyChats, MakeIncoming
from tests.support.household import PowerCut

SURE = "sure_above = 0.05\n"
UNSURE = "sure_above = 0.99\n"
UNSURE_NOTE = "I'm not sure I heard that right, so I'm asking before I do anything."


@pytest.mark.slow
@needs_speech_tools
@pytest.mark.parametrize("voice_settings", [SURE])
async def test_a_clear_voice_note_is_shown_and_adds_to_the_shopping_list(
    listening: AppContext,
    parent: Member,
    chats: FamilyChats,
    make_incoming: MakeIncoming,
    tmp_path: Path,
) -> None:
    clip = spoken(tmp_path, "Add eggs and bread to the shopping list.")

    outcome = await chats.send(make_incoming(attachments=(voice_note(clip),)))

    heard, done = chats.texts()
    assert heard.startswith("🎙️ I heard: “Add eggs and bread to the shopping list")
    assert done == "Added eggs and bread to Shopping."
    assert [(a.tool, a.status) for a in outcome.actions] == [
        ("voice.transcribe", "done"),
        ("lists.add", "done"),
    ]
    assert outcome.actions[0].args["language"] == "en"
    shopping = listening.settings.vault.path / "Lists" / "Shopping.md"
    assert "eggs" in shopping.read_text(encoding="utf-8")


@pytest.mark.slow
@needs_speech_tools
@pytest.mark.parametrize("voice_settings", [SURE])
async def test_a_spoken_expense_is_confirmed_with_the_transcript_before_it_is_recorded(
    listening: AppContext,
    parent: Member,
    chats: FamilyChats,
    make_incoming: MakeIncoming,
    tmp_path: Path,
) -> None:
    clip = spoken(tmp_path, "I spent twelve euros at the bakery.")

    outcome = await chats.send(make_incoming(attachments=(voice_note(clip),)))

    assert chats.texts()[0].startswith("🎙️ I heard:")
    assert [(a.tool, a.status) for a in outcome.actions][1] == (
        "budget.add_expense",
        "needs_confirmation",
    )
    assert "shall I record" in chats.texts()[1]


@pytest.mark.slow
@needs_speech_tools
@pytest.mark.parametrize("voice_settings", [UNSURE])
async def test_an_unsure_transcript_asks_with_the_exact_action_and_yes_runs_it(
    listening: AppContext,
    parent: Member,
    chats: FamilyChats,
    make_incoming: MakeIncoming,
    tmp_path: Path,
) -> None:
    clip = spoken(tmp_path, "Add eggs and bread to the shopping list.")

    first = await chats.send(make_incoming(attachments=(voice_note(clip),)))

    assert [(a.tool, a.status) for a in first.actions] == [
        ("voice.transcribe", "done"),
        ("lists.add", "needs_confirmation"),  # lists.add acts unasked only when Whisper is sure
    ]
    assert (
        chats.texts()[1] == "I'm not sure I heard that right, so I'm asking before I do anything."
    )
    question = chats.delivered[-1].reply
    assert question.text.startswith("Ana, shall I add")
    yes = next(button.data for button in question.buttons if button.label == "Yes")

    second = await chats.send(make_incoming(button=yes))

    assert [(a.tool, a.status) for a in second.actions][-1] == ("lists.add", "done")
    assert chats.texts()[-1] == "Added eggs and bread to Shopping."


@pytest.mark.slow
@needs_speech_tools
@pytest.mark.parametrize("voice_settings", [UNSURE])
async def test_an_unsure_transcript_nothing_understood_asks_did_you_say_and_yes_hears_it_again(
    listening: AppContext,
    parent: Member,
    chats: FamilyChats,
    make_incoming: MakeIncoming,
    tmp_path: Path,
) -> None:
    clip = spoken(tmp_path, "The weather is lovely today.")

    first = await chats.send(make_incoming(attachments=(voice_note(clip),)))

    assert [a.tool for a in first.actions] == ["voice.transcribe"]
    question = chats.delivered[-1].reply
    assert question.text.startswith("I'm not sure I heard that right. Did you say")
    assert [button.label for button in question.buttons] == ["Yes", "Edit"]
    yes = next(button.data for button in question.buttons if button.label == "Yes")

    second = await chats.send(make_incoming(button=yes))

    assert [a.tool for a in second.actions] == ["voice.transcribe"]  # heard again, as typed
    assert chats.texts()[-1].startswith("I heard you, but I don't know what to do with that")


@needs_ffmpeg
async def test_a_silent_voice_note_gets_a_sentence_not_silence(
    listening: AppContext,
    parent: Member,
    chats: FamilyChats,
    make_incoming: MakeIncoming,
    tmp_path: Path,
) -> None:
    await chats.send(make_incoming(attachments=(voice_note(silence(tmp_path)),)))

    assert chats.texts() == ["I couldn't hear anything in that voice note."]


async def test_a_damaged_voice_note_is_answered_kindly(
    listening: AppContext,
    parent: Member,
    chats: FamilyChats,
    make_incoming: MakeIncoming,
    tmp_path: Path,
) -> None:
    broken = tmp_path / "broken.ogg"
    broken.write_bytes(b"OggS\x00\x02" + bytes(range(200)))

    await chats.send(make_incoming(attachments=(voice_note(broken),)))

    assert chats.texts() == [
        "I couldn't play that voice note — it may be damaged. Please record it again."
    ]


async def test_a_voice_note_longer_than_allowed_is_refused_before_listening(
    listening: AppContext,
    parent: Member,
    chats: FamilyChats,
    make_incoming: MakeIncoming,
    tmp_path: Path,
) -> None:
    clip = tmp_path / "long.ogg"
    clip.write_bytes(b"OggS")

    await chats.send(make_incoming(attachments=(voice_note(clip, seconds=1200),)))

    assert chats.texts() == ["That voice note is too long for me; please keep it under 5 min."]


@needs_speech_tools
@pytest.mark.parametrize("voice_settings", ['model = "/nowhere/whisper"\n'])
async def test_a_missing_model_is_said_and_the_member_can_still_type(
    listening: AppContext,
    parent: Member,
    chats: FamilyChats,
    make_incoming: MakeIncoming,
    tmp_path: Path,
) -> None:
    clip = spoken(tmp_path, "Add tea to the shopping list.")

    await chats.send(make_incoming(attachments=(voice_note(clip),)))

    assert chats.texts() == [
        "I can't listen to voice notes right now: my speech model is missing "
        "(an admin can run `gepeto doctor`). Please type your message."
    ]


@needs_ffmpeg
async def test_a_voice_note_cut_off_by_a_crash_is_answered_once_after_the_restart(
    listening: AppContext,
    parent: Member,
    chats: FamilyChats,
    make_incoming: MakeIncoming,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    def power_cut(self: Transcriber, *_args: object) -> Transcript:
        raise PowerCut

    with monkeypatch.context() as during_the_crash:
        during_the_crash.setattr(Transcriber, "transcribe", power_cut)
        with pytest.raises(PowerCut):
            await chats.send(make_incoming(attachments=(voice_note(silence(tmp_path)),)))
    assert chats.delivered == []

    restarted = FamilyChats.open(listening)
    assert await restarted.router.resume() == 1
    await restarted.outbox.deliver_due()
    assert await restarted.router.resume() == 0

    assert restarted.texts() == ["I couldn't hear anything in that voice note."]
