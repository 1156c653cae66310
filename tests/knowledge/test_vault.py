"""The vault: paths never leave it, writes are atomic, and someone else's edit is never lost."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from knowledge.vault import NoteChangedError, Vault, VaultError


@pytest.fixture
def vault(tmp_path: Path) -> Vault:
    root = tmp_path / "vault"
    root.mkdir()
    return Vault(root)


@pytest.mark.parametrize(
    "path",
    [
        "../outside.md",
        "Lists/../../outside.md",
        "/etc/passwd",
        "~/notes.md",
        "..\\..\\outside.md",
        "",
        "   ",
        ".obsidian/workspace.json",
        "Lists/.hidden.md",
        ".trash/old.md",
    ],
)
def test_paths_outside_the_vault_or_hidden_are_refused(vault: Vault, path: str) -> None:
    with pytest.raises(VaultError):
        vault.resolve(path)


def test_a_symlinked_folder_leading_out_of_the_vault_is_refused(
    vault: Vault, tmp_path: Path
) -> None:
    outside = tmp_path / "elsewhere"
    outside.mkdir()
    (vault.root / "Lists").symlink_to(outside, target_is_directory=True)

    with pytest.raises(VaultError, match="outside the vault"):
        vault.resolve("Lists/Shopping.md")


def test_a_symlinked_note_leading_out_of_the_vault_is_refused(
    vault: Vault, tmp_path: Path
) -> None:
    secret = tmp_path / "secret.md"
    secret.write_text("the safe's code", encoding="utf-8")
    (vault.root / "Innocent.md").symlink_to(secret)

    with pytest.raises(VaultError, match="outside the vault"):
        vault.resolve("Innocent.md")


def test_a_symlink_that_stays_inside_the_vault_is_fine(vault: Vault) -> None:
    (vault.root / "Home").mkdir()
    (vault.root / "House").symlink_to(vault.root / "Home", target_is_directory=True)

    assert vault.resolve("House/Wifi.md") == (vault.root / "Home" / "Wifi.md").resolve()


async def test_nothing_outside_is_read_or_written_through_an_escape(
    vault: Vault, tmp_path: Path
) -> None:
    outside = tmp_path / "outside.md"
    outside.write_text("untouched", encoding="utf-8")

    with pytest.raises(VaultError):
        await vault.read("../outside.md")
    with pytest.raises(VaultError):
        await vault.write("../outside.md", "overwritten", expected_version=None)

    assert outside.read_text(encoding="utf-8") == "untouched"


async def test_a_missing_note_reads_as_empty_and_not_existing(vault: Vault) -> None:
    note = await vault.read("Lists/Shopping.md")

    assert note.text == ""
    assert not note.exists


async def test_writing_creates_folders_and_the_version_follows_the_content(vault: Vault) -> None:
    written = await vault.write("Lists/Shopping.md", "- [ ] milk\n", expected_version="")
    read = await vault.read("Lists/Shopping.md")

    assert (vault.root / "Lists" / "Shopping.md").read_text(encoding="utf-8") == "- [ ] milk\n"
    assert read.exists
    assert read.version == written.version
    assert (
        await vault.write("Lists/Shopping.md", "- [ ] eggs\n", expected_version=None)
    ).version != read.version


async def test_a_note_changed_on_disk_since_it_was_read_is_left_alone(vault: Vault) -> None:
    await vault.write("Lists/Shopping.md", "- [ ] milk\n", expected_version="")
    read = await vault.read("Lists/Shopping.md")
    (vault.root / "Lists" / "Shopping.md").write_text(
        "- [ ] milk\n- [ ] added on the phone\n", encoding="utf-8"
    )

    with pytest.raises(NoteChangedError, match="changed on disk"):
        await vault.write(
            "Lists/Shopping.md", "- [ ] milk\n- [ ] eggs\n", expected_version=read.version
        )

    assert "added on the phone" in (vault.root / "Lists" / "Shopping.md").read_text(
        encoding="utf-8"
    )


async def test_a_note_that_must_be_new_is_not_overwritten(vault: Vault) -> None:
    (vault.root / "Ideas.md").write_text("mine", encoding="utf-8")

    with pytest.raises(NoteChangedError):
        await vault.write("Ideas.md", "yours", expected_version="")

    assert (vault.root / "Ideas.md").read_text(encoding="utf-8") == "mine"


async def test_a_failed_write_leaves_the_old_note_whole_and_no_temporary_file(
    vault: Vault, monkeypatch: pytest.MonkeyPatch
) -> None:
    await vault.write("Lists/Shopping.md", "- [ ] milk\n", expected_version="")

    def disk_full(source: str, target: str) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(os, "replace", disk_full)
    with pytest.raises(OSError, match="No space left"):
        await vault.write("Lists/Shopping.md", "- [ ] milk\n- [ ] eggs\n", expected_version=None)

    folder = vault.root / "Lists"
    assert [path.name for path in folder.iterdir()] == ["Shopping.md"]
    assert (folder / "Shopping.md").read_text(encoding="utf-8") == "- [ ] milk\n"


async def test_a_successful_write_leaves_no_temporary_file(vault: Vault) -> None:
    for count in range(3):
        await vault.write("Lists/Shopping.md", f"- [ ] item {count}\n", expected_version=None)

    assert [path.name for path in (vault.root / "Lists").iterdir()] == ["Shopping.md"]


async def test_trash_moves_notes_to_dot_trash_without_overwriting(vault: Vault) -> None:
    for text in ("first", "second"):
        await vault.write("Old idea.md", text, expected_version=None)
        await vault.trash("Old idea.md")

    assert not (vault.root / "Old idea.md").exists()
    trashed = sorted(
        path.read_text(encoding="utf-8") for path in (vault.root / ".trash").iterdir()
    )
    assert trashed == ["first", "second"]
    with pytest.raises(VaultError, match="there is no note"):
        await vault.trash("Old idea.md")


def test_one_lock_per_note(vault: Vault) -> None:
    assert vault.lock("Lists/Shopping.md") is vault.lock("Lists/Shopping.md")
    assert vault.lock("Lists/Shopping.md") is not vault.lock("Lists/To-do.md")


async def test_a_nul_byte_in_a_path_is_a_kind_refusal(tmp_path: Path) -> None:
    with pytest.raises(VaultError):
        Vault(tmp_path).resolve("Lists/Sho\x00pping.md")
