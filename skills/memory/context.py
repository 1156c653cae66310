"""What the model is told about remembered facts: data, attributed to whoever wrote them.

Facts are written by family members (children too) and by the model after reading other
people's text, so they are fenced as information, never given as instructions.
"""

from __future__ import annotations

from bot.family import Member
from bot.services import SkillServices
from bot.skills import PromptContext
from bot.untrusted import fence
from skills.memory.tools import facts_for


async def remembered_facts(services: SkillServices, member: Member) -> PromptContext:
    """The member's private facts and the household's, each with who wrote it."""
    private, shared = await facts_for(services.sessions, member.id)
    if not private and not shared:
        return PromptContext()
    family = {m.id: m for m in await services.family.members()}
    names = {m.id: f"{m.name}, {m.role}" for m in family.values()}
    lines = []
    if private:
        written = "\n".join(f"- {fact.text}" for fact in private)
        lines += [
            f"What {member.name} asked you to remember:",
            fence(f"{member.name}'s own notes", written),
        ]
    if shared:
        written = "\n".join(
            f"- {fact.text} (written by {names.get(fact.created_by or 0, 'someone')})"
            for fact in shared
        )
        lines += [
            "What the household asked you to remember:",
            fence("household facts written by family members", written),
        ]
    return PromptContext(
        lines=tuple(lines),
        from_others=any(_untrusted_writer(fact.created_by, member, family) for fact in shared),
    )


def _untrusted_writer(writer_id: int | None, member: Member, family: dict[int, Member]) -> bool:
    """Facts by the member or by a parent/adult are trusted; a child's or guest's are not.

    A grown-up's fact that came from others' text was already confirmed when it was written,
    because a turn that read untrusted text asks before any write.
    """
    if writer_id == member.id:
        return False
    writer = family.get(writer_id or 0)
    return writer is None or writer.role not in ("parent", "adult")
