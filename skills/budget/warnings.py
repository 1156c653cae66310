"""Limit warnings: at 80 % and 100 % of a monthly limit, once per threshold and month.

Each warning is a push whose key names the budget, category, month, threshold and recipient,
so however often the ledger is summed again, a warning reaches each person once.
"""

from __future__ import annotations

from bot.markdown import escape
from bot.messages import Reply
from bot.notify import MemberRecipient, NoChatForMember
from bot.services import SkillServices
from skills.budget import ledger
from skills.budget.ledger import Budget, Month
from skills.budget.models import ALL_CATEGORIES
from skills.budget.money import Money, locale_for, show
from skills.budget.settings import BudgetSettings

MONTH_NAMES = [
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
]


def month_name(month: Month) -> str:
    return f"{MONTH_NAMES[month.month - 1]} {month.year}"


def warning_key(budget: Budget, category: str, month: Month, threshold: int, member: int) -> str:
    return f"budget:warn:{budget.scope}:{category or 'all'}:{month}:{threshold}:{member}"


async def warn_about_limits(
    services: SkillServices,
    budget: Budget,
    month: Month,
    category: str,
    currency: str,
    spender_id: int,
) -> list[int]:
    """Pushes the highest threshold each touched limit has reached; the thresholds pushed."""
    settings = services.settings_as(BudgetSettings)
    locale = locale_for(services.household.language)
    reached: list[int] = []
    for limit in await ledger.limits(services.sessions, budget):
        if limit.currency != currency or limit.category not in (category, ALL_CATEGORIES):
            continue
        used = await ledger.spent(services.sessions, budget, month, currency, limit.category)
        crossed = [t for t in settings.warn_at if used * 100 >= limit.amount_minor * t]
        if not crossed:
            continue
        threshold = crossed[-1]
        what = escape(limit.category.capitalize()) if limit.category else "Everything"
        whose = "the household" if budget.owner_id is None else escape(budget.label)
        percent = used * 100 // limit.amount_minor
        text = (
            f"Heads-up: {what} for {whose} has reached {percent} % of its limit for "
            f"{month_name(month)} ({show(Money.from_minor(used, currency), locale)} of "
            f"{show(Money.from_minor(limit.amount_minor, currency), locale)})."
        )
        where = (limit.category, month, threshold)
        if await _push_to_family(services, budget, spender_id, text, *where):
            reached.append(threshold)
    return reached


async def _push_to_family(
    services: SkillServices,
    budget: Budget,
    spender_id: int,
    text: str,
    category: str,
    month: Month,
    threshold: int,
) -> bool:
    """To the spender, the budget's owner and every parent; True when anyone got it now."""
    parents = {m.id for m in await services.family.members() if m.role == "parent"}
    owners = {budget.owner_id} if budget.owner_id is not None else set()
    pushed = False
    for member_id in sorted({spender_id, *owners, *parents}):
        key = warning_key(budget, category, month, threshold, member_id)
        try:
            pushed |= await services.notify.push(MemberRecipient(member_id), Reply(text=text), key)
        except NoChatForMember as error:
            services.log.info("budget warning not sent: %s", error)
    return pushed
