"""A voice note: transcribed in the worker pool, shown to the member, then acted on as text.

What a transcript may do (issue 14: nothing is acted on without the member seeing what was
understood): the transcript is always shown first. It then goes through the fast path (then the
LLM) as untrusted text, so `read` tools run directly and anything above `read` asks with the
exact action; only when Whisper was sure *and* the fast path chose a `write` tool the family
allowed for voice (`act_without_asking`, lists by default) does it act without a Yes. When
Whisper was unsure, nothing but a `read` runs: what the fast path understood is asked with its
exact action ("I'm not sure I heard that right…", then "shall I …?"); a transcript the fast path
does not know gets "Did you say …?" with Yes / Edit buttons, and Yes hears the same note again
and acts as if it had been typed.
"""

from __future__ import annotations

from sqlmodel import select

from bot.actions import Turn, run_action
from bot.markdown import escape
from bot.messages import (
    TRANSCRIPT_REPORT,
    ActionReport,
    Attachment,
    Button,
    Incoming,
    Outcome,
    Reply,
)
from bot.replies import outcome as outcome_of
from bot.replies import say
from bot.services import SkillServices
from bot.skills import ButtonAction
from bot.tools import AnyTool, Risk
from skills.voice.settings import VoiceSettings
from skills.voice.transcriber import Transcriber, Transcript, VoiceProblem
from storage.models import InboxEvent

SKILL = "voice"
"""The name under which a transcript appears among a message's actions (`gepeto say --json`)."""
NOT_UNDERSTOOD = (
    "I heard you, but I don't know what to do with that yet. Try “add milk to the shopping "
    "list”, or send /help to see everything I can do."
)
UNSURE = "I'm not sure I heard that right, so I'm asking before I do anything."
EDIT = "Please type it the way you meant it, and I'll do that."
GONE = "I no longer have that voice note — please send it again."


def services_of(turn: Turn) -> SkillServices:
    return turn.app.skill(SKILL).services


async def hear(turn: Turn, attachments: tuple[Attachment, ...]) -> Outcome | None:
    """Every voice note and audio file gets an answer: its transcript and what it did."""
    services = services_of(turn)
    if not services.settings_as(VoiceSettings).enabled:
        return None  # another skill may listen; otherwise the member is told it can't
    replies: list[Reply] = []
    for attachment in attachments:
        replies.extend((await _one_note(turn, services, attachment)).replies)
    return Outcome(route="media", replies=tuple(replies), actions=tuple(turn.reports))


async def _one_note(turn: Turn, services: SkillServices, attachment: Attachment) -> Outcome:
    heard = await _transcribe(turn, services, attachment)
    if isinstance(heard, str):
        return say(turn, "media", heard)
    shown = Reply(text=f"🎙️ I heard: “{escape(heard.text)}”")
    settings = services.settings_as(VoiceSettings)
    if heard.confidence < settings.sure_above and turn.app.fastpath.match(heard.text):
        acted = await act_on(turn, heard.text, trusted_tools=[])  # every write asks first
        unsure = Reply(text=UNSURE)
        return acted.model_copy(update={"replies": (shown, unsure, *acted.replies)})
    if heard.confidence < settings.sure_above:
        question = Reply(
            text=f"I'm not sure I heard that right. Did you say “{escape(heard.text)}”?",
            buttons=(
                Button(label="Yes", data=f"voice:yes:{turn.inbox_id}", emoji="👍"),
                Button(label="Edit", data="voice:edit", emoji="✏️"),
            ),
        )
        return Outcome(route="media", replies=(shown, question), actions=tuple(turn.reports))
    acted = await act_on(turn, heard.text, trusted_tools=settings.act_without_asking)
    return acted.model_copy(update={"replies": (shown, *acted.replies)})


async def _transcribe(
    turn: Turn, services: SkillServices, attachment: Attachment
) -> Transcript | str:
    """The transcript (also recorded among the message's actions), or the sentence why not."""
    settings = services.settings_as(VoiceSettings)
    if attachment.duration_s is not None and attachment.duration_s > settings.max_seconds:
        minutes = max(1, settings.max_seconds // 60)
        return f"That voice note is too long for me; please keep it under {minutes} min."
    path = await turn.app.media.fetch(turn.incoming, attachment)
    transcriber = services.client_as(Transcriber)
    members = await turn.app.family.members()
    family = {services.household.language, *(m.language for m in members if m.language)}
    try:
        heard = await services.workers.run(
            "transcribe", transcriber.transcribe_gently, path, turn.member.language, family
        )
    except VoiceProblem as problem:
        return str(problem)
    services.log.info(
        "heard %.1f s (%s, confidence %.2f) from %s",
        heard.seconds,
        heard.language,
        heard.confidence,
        turn.member.name,
    )
    turn.reports.append(
        ActionReport(
            tool=TRANSCRIPT_REPORT, args=heard.as_json(), status="done", detail=heard.text
        )
    )
    return heard


async def act_on(turn: Turn, text: str, trusted_tools: list[str] | None = None) -> Outcome:
    """The transcript as typed text: fast path, then the LLM; untrusted unless `trusted_tools`
    (None: the member confirmed the transcript, so it counts as their own typing)."""
    turn.incoming = turn.incoming.model_copy(update={"text": text, "attachments": ()})
    match = turn.app.fastpath.match(text)
    if match is not None:
        tool = turn.app.tools.get(match.tool)
        turn.read_untrusted = trusted_tools is not None and not (
            tool is not None
            and match.tool in trusted_tools
            and _risk(tool, match.args) == Risk.WRITE
        )
        return outcome_of(turn, "fast", await run_action(turn, match.tool, match.args))
    turn.read_untrusted = trusted_tools is not None
    if turn.app.llm is None:
        return say(turn, "unknown", NOT_UNDERSTOOD)
    from bot.llm.turn import reply_for  # the LLM turn loads with the first message it takes

    replies, route = await reply_for(turn, turn.app.llm)
    return Outcome(
        route="llm" if route == "llm" else "error",
        replies=tuple(replies),
        actions=tuple(turn.reports),
    )


def _risk(tool: AnyTool, args: dict[str, object]) -> Risk | None:
    try:
        return tool.risk_for(tool.args.model_validate(args))
    except ValueError:
        return None


async def answer_button(turn: Turn, rest: str) -> Outcome:
    """Yes: the member confirmed what was heard, so it runs as their own words. Edit: type it."""
    choice, _, inbox_id = rest.partition(":")
    if choice != "yes":
        return say(turn, "media", EDIT)
    earlier = await _earlier_note(turn, inbox_id)
    if earlier is None:
        return say(turn, "media", GONE)
    turn.incoming = earlier
    services = services_of(turn)
    voice = next((a for a in earlier.attachments if a.kind in ("voice", "audio")), None)
    if voice is None:
        return say(turn, "media", GONE)
    heard = await _transcribe(turn, services, voice)
    if isinstance(heard, str):
        return say(turn, "media", heard)
    return await act_on(turn, heard.text)


async def _earlier_note(turn: Turn, inbox_id: str) -> Incoming | None:
    """The voice note a button was about, if it came from this member in this chat."""
    if not inbox_id.isdigit():
        return None
    async with turn.app.sessions() as session:
        row = (
            await session.exec(select(InboxEvent).where(InboxEvent.id == int(inbox_id)))
        ).first()
    if row is None:
        return None
    earlier = Incoming.model_validate(row.payload)
    same_chat = earlier.chat_key == turn.incoming.chat_key
    same_sender = earlier.sender == turn.incoming.sender
    return earlier if same_chat and same_sender else None


VOICE_BUTTONS = ButtonAction(prefix="voice", run=answer_button)
