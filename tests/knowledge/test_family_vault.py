"""The generated family vault: the same seed writes the same notes, and its questions fit it."""

from __future__ import annotations

from pathlib import Path

from knowledge.ingestion import vault_notes
from knowledge.markdown import parse_note
from tests.support.family_vault import write_family_vault


def contents(root: Path) -> dict[str, str]:
    return {relative: path.read_text("utf-8") for relative, path in vault_notes(root)}


def test_the_same_seed_writes_the_same_vault_and_another_seed_changes_details(
    tmp_path: Path,
) -> None:
    first = write_family_vault(tmp_path / "a", seed=3)
    again = write_family_vault(tmp_path / "b", seed=3)
    other = write_family_vault(tmp_path / "c", seed=4)
    assert contents(first.root) == contents(again.root)
    assert contents(first.root) != contents(other.root)
    assert first.questions == again.questions


def test_every_question_points_at_notes_that_exist(tmp_path: Path) -> None:
    vault = write_family_vault(tmp_path, seed=11)
    written = set(contents(vault.root))
    assert set(vault.notes) == written
    assert len(vault.questions) == 40
    assert len({question.id for question in vault.questions}) == 40
    for question in vault.questions:
        assert question.relevant, question.id
        assert set(question.relevant) <= written, question.id
    languages = {question.lang for question in vault.questions}
    assert languages == {"en", "de", "pt"}


def test_the_notes_are_what_a_family_keeps(tmp_path: Path) -> None:
    vault = write_family_vault(tmp_path)
    notes = [parse_note(relative, text) for relative, text in contents(vault.root).items()]
    folders = {note.path.split("/", 1)[0] for note in notes}
    assert {"House", "Recipes", "School", "Health", "Travel", "Money", "Daily"} <= folders
    assert sum(bool(note.aliases) for note in notes) >= 30
    assert sum(bool(note.links) for note in notes) >= 3
    assert all(note.tags for note in notes)
    assert not [note.path for note in notes if note.problems]
    daily = [note for note in notes if note.path.startswith("Daily/")]
    assert len(daily) == 60
    assert any(note.frontmatter.get("lang") == "de" for note in notes)
    assert any(note.frontmatter.get("lang") == "pt" for note in notes)
