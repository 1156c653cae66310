"""What the model is told about remembered facts: data, attributed to whoever wrote them.

Facts are written by family members (children too) and by the model after reading other
people's text, so they are fenced as information, never given as instructions.
"""

from __future__ import annotations

from collections.abc import Sequence

from bot.family import Member
from bot.services import SkillServices
from bot.untrusted import fence
from skills.memory.tools import facts_for


async def remembered_facts(services: SkillServices, member: Member) -> Sequence[str]:
    """The member's private facts and the household's, each with who wrote it."""
    private, shared = await facts_for(services.sessions, member.id)
    if not private and not shared:
        return []
    names = {m.id: f"{m.name}, {m.role}" for m in await services.family.members()}
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
    return lines
