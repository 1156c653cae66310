"""Members, their chat identities and pairing codes, from the API and from `gepeto members`."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest

from bot.clock import ManualClock
from bot.context import AppContext
from bot.family import PAIRING_LIFETIME, FamilyError, Member
from tests.support.cli import Gepeto


async def test_members_are_added_listed_and_found_by_name_in_any_case(app: AppContext) -> None:
    ana = await app.family.add("  Ana  Silva ", "parent", language="pt")
    leo = await app.family.add("Leo", "child")

    assert ana == Member(id=ana.id, name="Ana Silva", role="parent", language="pt")
    assert await app.family.members() == [ana, leo]
    assert await app.family.find("ana silva") == ana
    assert await app.family.find("Nobody") is None
    assert not await app.family.is_empty()


@pytest.mark.parametrize(
    ("name", "role", "problem"),
    [
        ("Ana", "queen", "'queen' is not a role"),
        ("", "parent", "a member needs a name"),
        ("x" * 81, "parent", "a member needs a name"),
    ],
)
async def test_bad_members_are_refused(
    app: AppContext, name: str, role: str, problem: str
) -> None:
    with pytest.raises(FamilyError, match=problem):
        await app.family.add(name, role)
    assert await app.family.is_empty()


async def test_two_members_cannot_share_a_name(app: AppContext) -> None:
    await app.family.add("Ana", "parent")

    with pytest.raises(FamilyError, match="already a member called ANA"):
        await app.family.add("ANA", "adult")


async def test_linking_resolves_the_sender_to_the_member(app: AppContext) -> None:
    ana = await app.family.add("Ana", "parent")

    await app.family.link("ana", "telegram:1001")
    await app.family.link("Ana", "matrix:@ana:home.example")
    await app.family.link("Ana", "telegram:1001")

    assert await app.family.resolve("telegram", "1001") == ana
    assert await app.family.resolve("matrix", "@ana:home.example") == ana
    assert await app.family.resolve("telegram", "9999") is None
    assert await app.family.resolve("console", "ANA") == ana
    assert await app.family.identities(ana) == ["telegram:1001", "matrix:@ana:home.example"]


@pytest.mark.parametrize(
    ("address", "problem"),
    [
        ("whatsapp:123", "is not an address"),
        ("telegram:", "is not an address"),
        ("telegram:@ana", "numeric user id"),
        ("matrix:ana", "looks like @name:server"),
    ],
)
async def test_bad_addresses_are_refused(app: AppContext, address: str, problem: str) -> None:
    await app.family.add("Ana", "parent")

    with pytest.raises(FamilyError, match=problem):
        await app.family.link("Ana", address)


async def test_an_identity_belongs_to_one_member_only(app: AppContext) -> None:
    await app.family.add("Ana", "parent")
    await app.family.add("Leo", "child")
    await app.family.link("Ana", "telegram:1001")

    with pytest.raises(FamilyError, match="already belongs to another member"):
        await app.family.link("Leo", "telegram:1001")


async def test_removing_a_member_forgets_their_identities(app: AppContext) -> None:
    await app.family.add("Ana", "parent")
    await app.family.link("Ana", "telegram:1001")

    await app.family.remove("ana")

    assert await app.family.resolve("telegram", "1001") is None
    with pytest.raises(FamilyError, match="no member called Ana"):
        await app.family.remove("Ana")


async def test_a_pairing_code_links_the_sender_once(app: AppContext) -> None:
    leo = await app.family.add("Leo", "child")
    code, member = await app.family.invite("Leo")

    assert member == leo
    assert re.fullmatch(r"[A-Z2-9]{8}", code)
    assert await app.family.pair(code.lower(), "telegram", "2002") == leo
    assert await app.family.resolve("telegram", "2002") == leo
    with pytest.raises(FamilyError, match="not valid"):
        await app.family.pair(code, "telegram", "3003")
    assert await app.family.resolve("telegram", "3003") is None


async def test_a_pairing_code_expires_after_a_day(app: AppContext, clock: ManualClock) -> None:
    await app.family.add("Leo", "child")
    code, _ = await app.family.invite("Leo")

    clock.advance(PAIRING_LIFETIME - timedelta(seconds=1))
    still_valid, _ = await app.family.invite("Leo")
    clock.advance(timedelta(seconds=1))

    with pytest.raises(FamilyError, match="expire after a day"):
        await app.family.pair(code, "telegram", "2002")
    assert (await app.family.pair(still_valid, "telegram", "2002")).name == "Leo"


async def test_a_code_for_a_removed_member_links_nobody(app: AppContext) -> None:
    await app.family.add("Leo", "child")
    code, _ = await app.family.invite("Leo")
    await app.family.remove("Leo")

    with pytest.raises(FamilyError, match="not valid"):
        await app.family.pair(code, "telegram", "2002")


async def test_a_made_up_code_links_nobody(app: AppContext) -> None:
    await app.family.add("Leo", "child")
    await app.family.invite("Leo")

    with pytest.raises(FamilyError, match="not valid"):
        await app.family.pair("ABCDEFGH", "telegram", "2002")


def test_members_commands_manage_the_family(gepeto: Gepeto) -> None:
    assert "No members yet" in gepeto("members", "list").stdout

    added = gepeto("members", "add", "Ana", "--role", "parent", "--language", "pt")
    gepeto("members", "add", "Leo", "--role", "child")
    linked = gepeto("members", "link", "Ana", "telegram:1001")
    listing = gepeto("members", "list").stdout.splitlines()

    assert added.stdout == "Added Ana (parent).\n"
    assert linked.stdout == "Linked telegram:1001 to Ana.\n"
    assert listing[0].split() == ["Ana", "parent", "telegram:1001"]
    assert listing[1].split() == ["Leo", "child", "not", "linked", "yet"]

    removed = gepeto("members", "remove", "leo")

    assert removed.stdout == "Removed Leo.\n"
    assert len(gepeto("members", "list").stdout.splitlines()) == 1


def test_members_invite_prints_a_code_that_works_once(gepeto: Gepeto) -> None:
    gepeto("members", "add", "Leo", "--role", "child")

    invited = gepeto("members", "invite", "Leo")

    code = re.search(r"Pairing code for Leo: ([A-Z2-9]{8})", invited.stdout)
    assert code is not None
    assert f"/pair {code[1]}" in invited.stdout
    assert "within 24 hours" in invited.stdout


@pytest.mark.parametrize(
    ("command", "problem"),
    [
        (
            ("members", "add", "Ana", "--role", "queen"),
            "'queen' is not a role; choose one of parent, adult, child, guest",
        ),
        (("members", "remove", "Nobody"), "there is no member called Nobody"),
        (("members", "link", "Nobody", "telegram:1"), "there is no member called Nobody"),
        (("members", "invite", "Nobody"), "there is no member called Nobody"),
    ],
)
def test_members_commands_explain_mistakes(
    gepeto: Gepeto, command: tuple[str, ...], problem: str
) -> None:
    result = gepeto(*command)

    assert result.exit_code == 1
    assert result.stderr.strip() == problem


def test_linking_a_bad_address_explains_the_format(gepeto: Gepeto) -> None:
    gepeto("members", "add", "Ana", "--role", "parent")

    result = gepeto("members", "link", "Ana", "@ana")

    assert result.exit_code == 1
    assert "use telegram:<user id> or matrix:@user:server" in result.stderr
