"""Hearing a voice note quickly (issue 14, item 6): the language is guessed from the same look at
the audio that writes the words, and the chat keeps answering while a note is being heard."""

from __future__ import annotations

import asyncio
import os
import sys
import threading
from pathlib import Path

import numpy as np
import pytest
from faster_whisper import WhisperModel

from bot.context import AppContext
from bot.family import Member
from skills.voice.settings import VoiceSettings
from skills.voice.transcriber import Transcriber
from tests.fakes.home_assistant import until
from tests.skills.voice.clips import SHARED_CLIPS, needs_speech_tools, silence, spoken
from tests.skills.voice.conftest import voice_note
from tests.support.home import CHILD_ID, FamilyChats, MakeIncoming

pytestmark = [pytest.mark.slow, needs_speech_tools]


def test_a_note_in_a_language_nobody_set_is_encoded_once(
    whisper_base: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    windows: list[tuple[int, ...]] = []
    encode = WhisperModel.encode

    def counted(model: WhisperModel, features: np.ndarray) -> object:
        windows.append(features.shape)
        return encode(model, features)

    monkeypatch.setattr(WhisperModel, "encode", counted)
    transcriber = Transcriber(VoiceSettings(model=str(whisper_base)), tmp_path)
    clip = spoken(tmp_path, "Add eggs and bread to the shopping list.")

    heard = transcriber.transcribe(clip, None)

    assert heard.language == "en"
    assert "eggs and bread" in heard.text.lower()
    assert len(windows) == 1, "language detection and transcription share one encoder pass"


def test_the_next_note_is_not_mistaken_for_the_last(whisper_base: Path, tmp_path: Path) -> None:
    transcriber = Transcriber(VoiceSettings(model=str(whisper_base)), tmp_path)
    eggs = spoken(tmp_path, "Add eggs to the shopping list.", name="eggs")
    tea = spoken(tmp_path, "Remind me to buy tea tomorrow.", name="tea")

    first, second = transcriber.transcribe(eggs, None), transcriber.transcribe(tea, "en")

    assert "eggs" in first.text.lower()
    assert "tea" in second.text.lower()
    assert "eggs" not in second.text.lower()


@pytest.mark.skipif(not (SHARED_CLIPS / "d08.ogg").is_file(), reason="no shared clips")
def test_a_note_is_taken_to_be_in_one_of_the_familys_languages(
    whisper_base: Path, tmp_path: Path
) -> None:
    heating = SHARED_CLIPS / "d08.ogg"  # "Schalte bitte die Heizung im Badezimmer ein."
    anyone = Transcriber(VoiceSettings(model=str(whisper_base)), tmp_path)
    family = Transcriber(
        VoiceSettings(model=str(whisper_base), languages=["en", "de", "pt-BR", "es"]), tmp_path
    )

    guessed, heard = anyone.transcribe(heating, None), family.transcribe(heating, None)

    assert guessed.language != "de"  # Whisper base alone hears Thai
    assert heard.language == "de"
    assert "heizung im badezimmer" in heard.text.lower()


@pytest.mark.skipif(not (SHARED_CLIPS / "d10.ogg").is_file(), reason="no shared clips")
@pytest.mark.parametrize(
    ("clip", "family", "heard_in", "words"),
    [
        ("d08.ogg", {"en", "de"}, "de", "heizung im badezimmer"),  # alone: Thai 26 %, German 23 %
        ("d09.ogg", {"pt-BR"}, "pt", "batata"),  # alone: Spanish 32 %, Portuguese 21 %
        ("d10.ogg", {"en"}, "es", "calendario"),  # a clear 90 % Spanish stays Spanish
    ],
)
def test_an_unsure_guess_leans_to_the_familys_languages_and_a_clear_one_wins(
    whisper_base: Path, tmp_path: Path, clip: str, family: set[str], heard_in: str, words: str
) -> None:
    transcriber = Transcriber(VoiceSettings(model=str(whisper_base)), tmp_path)

    heard = transcriber.transcribe(SHARED_CLIPS / clip, None, family)

    assert heard.language == heard_in
    assert words in heard.text.lower()


@pytest.mark.skipif(not (SHARED_CLIPS / "d09.ogg").is_file(), reason="no shared clips")
async def test_a_voice_note_leans_to_the_language_a_member_of_the_family_has_set(
    listening: AppContext, parent: Member, chats: FamilyChats, make_incoming: MakeIncoming
) -> None:
    await listening.family.add("Avó", "parent", language="pt-BR")

    outcome = await chats.send(make_incoming(attachments=(voice_note(SHARED_CLIPS / "d09.ogg"),)))

    assert outcome.actions[0].args["language"] == "pt"
    assert "batata" in outcome.actions[0].args["text"].lower()


def test_a_family_language_whisper_does_not_know_is_ignored(
    whisper_base: Path, tmp_path: Path
) -> None:
    settings = VoiceSettings(model=str(whisper_base), languages=["tlh", "en"])
    transcriber = Transcriber(settings, tmp_path)
    clip = spoken(tmp_path, "Add eggs to the shopping list.")

    assert transcriber.transcribe(clip, None).language == "en"


async def test_another_chat_is_answered_while_a_voice_note_is_being_heard(
    listening: AppContext,
    parent: Member,
    child: Member,
    chats: FamilyChats,
    make_incoming: MakeIncoming,
    tmp_path: Path,
) -> None:
    clip = spoken(tmp_path, "Put pasta, peanut butter and orange juice on the grocery list.")
    note = asyncio.create_task(chats.send(make_incoming(attachments=(voice_note(clip),))))
    await until(lambda: listening.workers.busy().get("transcribe") == 1, timeout_s=60)

    typed = await chats.router.handle_now(
        make_incoming("add milk to the shopping list", sender=CHILD_ID)
    )

    assert typed is not None
    assert typed.route == "fast"
    assert not note.done(), "the voice note is still being heard in the worker pool"
    await note
    assert chats.texts(CHILD_ID) == ["Added milk to Shopping."]


@pytest.mark.skipif(sys.platform != "linux", reason="per-thread priorities are Linux's")
async def test_the_voice_worker_gives_way_to_the_chats(
    listening: AppContext,
    parent: Member,
    chats: FamilyChats,
    make_incoming: MakeIncoming,
    tmp_path: Path,
) -> None:
    here = os.getpriority(os.PRIO_PROCESS, threading.get_native_id())

    await chats.send(make_incoming(attachments=(voice_note(silence(tmp_path)),)))

    worker = next(t for t in threading.enumerate() if t.name.startswith("worker-transcribe"))
    assert worker.native_id is not None
    assert os.getpriority(os.PRIO_PROCESS, worker.native_id) > here
    assert os.getpriority(os.PRIO_PROCESS, threading.get_native_id()) == here
    assert chats.texts() == ["I couldn't hear anything in that voice note."]
