"""Issue 15 against a small fake Home Assistant: what the real one won't do on demand."""

from __future__ import annotations

import asyncio

import pytest
from sqlmodel import select

from bot.actions import Turn, run_action
from bot.context import AppContext
from bot.family import Member
from skills.home.client import HomeAssistant
from skills.home.link import HomeLink
from storage.models import AuditEntry
from tests.fakes.home_assistant import FakeHomeAssistant, until
from tests.support.home import CHILD_ID, FamilyChats, MakeIncoming

UNREACHABLE = "I can't reach Home Assistant right now"


async def gone_down(app: AppContext, house: FakeHomeAssistant) -> HomeAssistant:
    """Stops the fake Home Assistant; returns Gepeto's client once it noticed (retries fast)."""
    client = app.skill("home").services.client_as(HomeLink).client
    assert client is not None
    client._retry_delays = (0.01,)
    await house.stop()
    await until(lambda: not client.connected)
    return client


async def audit_rows(app: AppContext) -> list[AuditEntry]:
    async with app.sessions() as session:
        return list((await session.exec(select(AuditEntry))).all())


async def test_turn_off_the_kitchen_lights_on_the_fast_path_reports_the_state_seen(
    chats: FamilyChats, parent: Member, house: FakeHomeAssistant, make_incoming: MakeIncoming
) -> None:
    asked = await chats.send(make_incoming("turn off the kitchen lights"))

    # Two lights is more than confirm_over = 1: Gepeto shows what will change first.
    assert asked.route == "fast"
    assert [(a.tool, a.status) for a in asked.actions] == [("home.call", "needs_confirmation")]
    assert "turn off these 2: Kitchen Ceiling and Kitchen Counter" in asked.text
    assert house.calls == []

    done = await chats.send(make_incoming("yes"))

    assert "Kitchen Ceiling: off ✓" in done.text
    assert "Kitchen Counter: off ✓" in done.text
    assert house.states["light.kitchen_ceiling"]["state"] == "off"


async def test_a_call_accepted_but_never_seen_is_reported_as_not_done(
    chats: FamilyChats, parent: Member, house: FakeHomeAssistant, make_incoming: MakeIncoming
) -> None:
    house.behaviour = "ignore"

    asked = await chats.send(make_incoming("close the garage door"))
    assert [(a.tool, a.status) for a in asked.actions] == [("home.call", "needs_confirmation")]
    done = await chats.send(make_incoming("yes"))

    assert "I asked Garage Door to close, but it still reports *open* after 0.3 s." in done.text
    assert [a.status for a in done.actions] == ["failed"]
    assert len(house.calls) == 1


async def test_a_slow_state_change_within_the_bound_is_confirmed(
    app: AppContext,
    chats: FamilyChats,
    parent: Member,
    house: FakeHomeAssistant,
    make_incoming: MakeIncoming,
) -> None:
    house.behaviour = "later"
    asked = await chats.send(make_incoming("lock the front door"))
    assert [a.status for a in asked.actions] == ["needs_confirmation"]
    house.states["lock.front_door"]["state"] = "unlocked"

    answer = chats.send(make_incoming("yes"))
    task = asyncio.ensure_future(answer)
    await until(lambda: len(house.calls) == 1)
    await house.set_state("lock.front_door", "locking")
    await house.set_state("lock.front_door", "locked")
    done = await task

    assert "Front Door: locked ✓" in done.text


async def test_home_assistant_refusing_a_call_is_said_in_one_sentence(
    chats: FamilyChats, parent: Member, house: FakeHomeAssistant, make_incoming: MakeIncoming
) -> None:
    house.behaviour = "refuse"
    await chats.send(make_incoming("lock the front door"))
    done = await chats.send(make_incoming("yes"))

    assert (
        done.text == 'Home Assistant refused to lock Front Door: {"message": "Entity is jammed"}'
    )


async def test_an_entity_that_is_not_exposed_is_invisible(
    app: AppContext,
    chats: FamilyChats,
    parent: Member,
    house: FakeHomeAssistant,
    make_incoming: MakeIncoming,
) -> None:
    listed = await chats.send(make_incoming("/home"))
    unlocked = await chats.send(make_incoming("unlock the safe"))

    assert "Safe" not in listed.text
    assert "Kitchen" in listed.text
    assert unlocked.actions == ()
    assert "safe" not in unlocked.text.lower()
    called = await run_action(
        Turn(app=app, incoming=make_incoming("x"), member=parent),
        "home.call",
        {"domain": "lock", "service": "unlock", "targets": ["lock.safe"]},
        confirmed=True,
    )
    # Asked by its id, it is as unknown as a made-up one, and the id is not echoed back.
    assert called.status == "denied"
    assert called.text == "I don't know that in the house — which room or device?"
    assert all(call[2]["entity_id"] != ["lock.safe"] for call in house.calls)


@pytest.mark.parametrize(
    ("args", "shown"),
    [
        (
            {"domain": "shell_command", "service": "wipe", "targets": ["light.kitchen_ceiling"]},
            "shell_command.wipe",
        ),
        (
            {
                "domain": "homeassistant",
                "service": "restart",
                "targets": ["light.kitchen_ceiling"],
            },
            "homeassistant.restart",
        ),
        (
            {"domain": "python_script", "service": "run", "targets": ["light.kitchen_ceiling"]},
            "python_script.run",
        ),
        (
            {"domain": "light", "service": "user_admin", "targets": ["light.kitchen_ceiling"]},
            "light.user_admin",
        ),
    ],
)
async def test_administrative_services_are_refused_and_audited_whatever_is_asked(
    app: AppContext,
    chats: FamilyChats,
    parent: Member,
    house: FakeHomeAssistant,
    make_incoming: MakeIncoming,
    args: dict[str, object],
    shown: str,
) -> None:
    turn = Turn(app=app, incoming=make_incoming("x"), member=parent)
    result = await run_action(turn, "home.call", args, confirmed=True)

    assert result.status == "denied"
    assert result.text == f"I never call {shown}: nobody can do that through Gepeto."
    assert house.calls == []
    assert [(r.action, r.status) for r in await audit_rows(app)] == [("home.call", "refused")]


async def test_a_child_may_switch_lights_but_is_denied_the_garage(
    chats: FamilyChats, child: Member, house: FakeHomeAssistant, make_incoming: MakeIncoming
) -> None:
    denied = await chats.send(make_incoming("open the garage door", sender=CHILD_ID))

    assert [(a.tool, a.status) for a in denied.actions] == [("home.call", "denied")]
    assert denied.text == "Sorry Leo, you can't change Garage Door. Ask a parent."
    assert house.calls == []


async def test_is_the_garage_open_only_reads(
    chats: FamilyChats, parent: Member, house: FakeHomeAssistant, make_incoming: MakeIncoming
) -> None:
    answer = await chats.send(make_incoming("is the garage door open?"))

    assert [(a.tool, a.status) for a in answer.actions] == [("home.state", "done")]
    assert answer.text == "Garage Door: open"
    assert house.calls == []


async def test_home_assistant_down_is_one_sentence_and_it_reconnects_when_back(
    app: AppContext,
    chats: FamilyChats,
    parent: Member,
    house: FakeHomeAssistant,
    make_incoming: MakeIncoming,
) -> None:
    client = await gone_down(app, house)

    down = await chats.send(make_incoming("/home"))
    listed = await chats.send(make_incoming("add milk to the shopping list"))

    assert down.text.startswith(UNREACHABLE)
    assert "milk" in listed.text.lower()

    await house.start()
    await until(lambda: client.connected)
    back = await chats.send(make_incoming("is the garage door open?"))
    assert back.text == "Garage Door: open"


async def test_a_home_assistant_still_starting_is_waited_for_then_read_whole(
    app: AppContext,
    chats: FamilyChats,
    parent: Member,
    house: FakeHomeAssistant,
    make_incoming: MakeIncoming,
) -> None:
    # After a restart the API answers before the integrations have loaded their devices: a
    # house read then lacks the garage door, and "is the garage door open?" is not understood.
    client = await gone_down(app, house)
    garage = house.states.pop("cover.garage_door")
    house.run_state = "STARTING"
    await house.start()
    await until(lambda: house.asked.count("get_config") >= 2 or client.connected)

    starting = await chats.send(make_incoming("is the garage door open?"))
    house.states["cover.garage_door"] = garage
    house.run_state = "RUNNING"
    await until(lambda: client.connected)
    back = await chats.send(make_incoming("is the garage door open?"))

    assert starting.text.startswith(UNREACHABLE)
    assert back.text == "Garage Door: open"


async def test_a_change_while_the_house_is_read_on_reconnecting_is_not_lost(
    app: AppContext,
    chats: FamilyChats,
    parent: Member,
    house: FakeHomeAssistant,
    make_incoming: MakeIncoming,
) -> None:
    # On (re)connecting Gepeto reads every state, then the registries: a door closed between
    # those answers is newer than the states read, which must not overwrite it.
    client = await gone_down(app, house)
    house.after_answer["get_states"] = lambda: house.set_state("cover.garage_door", "closed")
    await house.start()
    await until(lambda: client.connected)

    answer = await chats.send(make_incoming("is the garage door open?"))

    assert "get_states" not in house.after_answer
    assert answer.text == "Garage Door: closed"


async def test_an_opted_in_change_is_pushed_once_to_the_chosen_member(
    app: AppContext,
    chats: FamilyChats,
    parent: Member,
    house: FakeHomeAssistant,
    make_incoming: MakeIncoming,
) -> None:
    await chats.send(make_incoming("hello"))  # Ana's private chat becomes known
    link = app.skill("home").services.client_as(HomeLink)
    await house.set_state("lock.front_door", "unlocked")
    await house.set_state("lock.front_door", "locked")
    await house.set_state("lock.front_door", "unlocked")  # within quiet_s: not told again
    await until(
        lambda: (
            link.client is not None
            and link.client.snapshot.states["lock.front_door"]["state"] == "unlocked"
            and house.states["lock.front_door"]["state"] == "unlocked"
        )
    )
    assert link.pushes is not None
    await link.pushes.settle()
    await chats.outbox.deliver_due("telegram")

    pushed = [d.reply.text for d in chats.delivered if "Front Door" in d.reply.text]
    assert len(pushed) == 1
    assert pushed[0].startswith("Front Door: unlocked at ")


async def test_a_room_made_and_a_light_moved_in_home_assistant_are_known_without_a_restart(
    app: AppContext,
    chats: FamilyChats,
    parent: Member,
    house: FakeHomeAssistant,
    make_incoming: MakeIncoming,
) -> None:
    link = app.skill("home").services.client_as(HomeLink)
    client = link.client
    assert client is not None
    before = await chats.send(make_incoming("turn off the pantry lights"))

    await house.add_area("pantry", "Pantry")
    await house.move("light.kitchen_counter", "pantry")
    await until(lambda: client.snapshot.entities["light.kitchen_counter"].area_id == "pantry")
    after = await chats.send(make_incoming("turn off the pantry lights"))

    assert "Kitchen Counter" not in before.text
    assert after.text == "Kitchen Counter: off ✓"
    assert house.states["light.kitchen_ceiling"]["state"] == "on"
