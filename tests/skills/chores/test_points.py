"""Points, rewards, approvals, swaps and the week's chart (issue 13)."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

from PIL import Image

from bot.clock import ManualClock
from bot.context import AppContext
from bot.family import Member
from tests.skills.chores.conftest import ANA, LENA, Ask, Say, chore_turns, pushes


async def test_a_child_claims_a_reward_and_a_parent_approves_it_in_chat(
    app: AppContext, ask: Ask, say: Say
) -> None:
    await ask("Ana", "chores.add", what="tidy the garage every day", who=["Lena"], effort=12)
    await say("I tidied the garage", "Lena")

    balance = await say("how many points do I have?", "Lena")
    claimed = await say("I want to claim screen time", "Lena")
    [request] = [row for row in await pushes(app) if row.chat_id == ANA]
    approved = await say("", "Ana", button=request.payload["buttons"][0]["data"])
    after = await say("how many points do I have?", "Lena")

    assert "Lena has **12 points**" in balance.text
    assert "I asked a parent about 30 minutes of screen time (10 points)" in claimed.text
    assert "would like 30 minutes of screen time for 10 points" in request.payload["text"]
    assert "approved by Ana" in approved.text
    assert "Lena has **2 points** (12 earned in all)" in after.text
    too_much = await say("I want to claim choose dinner", "Lena")
    assert "costs 15 points and you have 2" in too_much.text


async def test_an_approval_chore_counts_its_points_only_once_a_parent_says_yes(
    app: AppContext, ask: Ask, say: Say, family: dict[str, Member]
) -> None:
    await ask(
        "Ana",
        "chores.add",
        what="clean the bathroom every day",
        who=["Ben"],
        effort=5,
        approval=True,
    )
    done = await say("I cleaned the bathroom", "Ben")
    before = await ask("Ben", "chores.rewards")
    [request, _to_tom] = [row for row in await pushes(app) if "says" in row.payload["text"]]
    child_try = await say("", "Ben", button=request.payload["buttons"][0]["data"])
    await say("", "Ana", button=request.payload["buttons"][0]["data"])
    after = await ask("Ben", "chores.rewards")

    assert "5 points for Ben once a parent approves" in done.text
    assert before.data["points"] == 0
    assert [a.status for a in child_try.actions] == ["denied"]
    assert after.data["points"] == 5
    assert (await chore_turns(app))[0].state == "done"


async def test_a_swap_needs_the_others_yes_and_is_paid_back_next_time(
    app: AppContext, ask: Ask, say: Say, clock: ManualClock, family: dict[str, Member]
) -> None:
    await ask("Ana", "chores.add", what="feed the cat every day", who=["Ben", "Lena", "Tom"])
    asked = await ask("Ben", "chores.swap", chore="cat", other="Lena")
    [question] = [row for row in await pushes(app) if row.chat_id == LENA]
    wrong = await say("", "Tom", button=question.payload["buttons"][0]["data"])
    yes = await say("", "Lena", button=question.payload["buttons"][0]["data"])
    done = await say("I fed the cat", "Lena")

    assert "I asked Lena to take Feed the cat" in asked.text
    assert "isn't waiting for you" in wrong.text
    assert "Swapped: Lena does Feed the cat" in yes.text
    assert "Next: Ben" in done.text  # Ben takes Lena's turn in return
    why = await say("why me?", "Ben")
    assert "you swapped a turn with Lena; this one is yours in return" in why.text
    early = await say("I fed the cat", "Ben")
    assert "Feed the cat is done for now — next is Ben's, Tue 18:00" in early.text
    clock.advance(timedelta(days=1))
    await say("I fed the cat", "Ben")
    rest = [t.assignee_id for t in await chore_turns(app)]
    assert rest == [family["Lena"].id, family["Ben"].id, family["Tom"].id]


async def test_the_weeks_chart_is_a_png_picture(ask: Ask, say: Say) -> None:
    await ask("Ana", "chores.add", what="feed the cat every day", who=["Ben", "Lena"])
    await say("I fed the cat", "Ben")

    stats = await say("/chores stats", "Ana")

    [reply] = stats.replies
    assert "Ben: 1 point, 1 done" in reply.text
    assert reply.image_path is not None
    with Image.open(Path(reply.image_path)) as picture:
        assert picture.format == "PNG"
        assert picture.size == (800, 600)


async def test_a_turn_due_tomorrow_is_done_early_by_its_own_member_but_never_twice_a_day(
    app: AppContext, ask: Ask, say: Say, clock: ManualClock, family: dict[str, Member]
) -> None:
    clock.advance(timedelta(hours=10))  # Monday 20:00 in Berlin: today's 18:00 has passed
    shared = await ask("Ana", "chores.add", what="water the plants every day", who=["Ben", "Lena"])
    await ask("Ana", "chores.add", what="feed the fish every day", who=["Ben"])
    not_hers = await say("I watered the plants", "Lena")
    early = await say("I watered the plants", "Ben")
    fish = await say("I fed the fish", "Ben")
    fish_again = await say("I fed the fish", "Ben")

    assert "First: Ben, Tue 18:00" in shared.text
    assert "Water the plants is done for now — next is Ben's, Tue 18:00" in not_hers.text
    assert "Done: Water the plants ✓ — 1 point for Ben. Next: Lena" in early.text
    assert "Done: Feed the fish ✓ — 1 point for Ben. Next: Ben, Wed 18:00" in fish.text
    assert "Feed the fish is done for now — next is Ben's, Wed 18:00" in fish_again.text
