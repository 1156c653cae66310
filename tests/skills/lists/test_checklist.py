"""Markdown checklists as Obsidian writes them: adding, ticking off, reading."""

from __future__ import annotations

from skills.lists.checklist import Entry, add, entries, tick

NOTE = "# Shopping\n\nThings for the weekend.\n\n- [ ] Milk\n- [x] bread\n\nFooter text.\n"


def test_several_items_are_added_after_the_last_item_as_unchecked_boxes() -> None:
    note, added, present = add(NOTE, ["eggs", "oat milk"])

    assert added == ["eggs", "oat milk"]
    assert present == []
    assert note == (
        "# Shopping\n\nThings for the weekend.\n\n- [ ] Milk\n- [x] bread\n- [ ] eggs\n"
        "- [ ] oat milk\n\nFooter text.\n"
    )


def test_items_already_open_are_not_added_again_whatever_their_case_or_spacing() -> None:
    note, added, present = add(NOTE, ["MILK", " milk ", "Eggs", "eggs"])

    assert added == ["Eggs"]
    assert present == ["MILK", " milk ", "eggs"]
    assert note.count("- [ ] Milk") == 1
    assert note.count("- [ ] Eggs") == 1


def test_a_ticked_item_asked_for_again_is_reopened_not_duplicated() -> None:
    note, added, _ = add(NOTE, ["Bread"])

    assert added == ["bread"]
    assert "- [ ] bread" in note
    assert "[x] bread" not in note


def test_an_empty_note_gets_the_items() -> None:
    note, added, _ = add("", ["milk"])

    assert note == "- [ ] milk\n"
    assert added == ["milk"]


def test_a_note_without_items_gets_them_after_a_blank_line() -> None:
    note, _, _ = add("# To-do", ["call grandma"])

    assert note == "# To-do\n\n- [ ] call grandma\n"


def test_ticking_marks_the_open_item_done_and_reports_what_is_missing() -> None:
    note, ticked, missing = tick(NOTE, ["milk", "caviar", "bread"])

    assert ticked == ["Milk"]
    assert missing == ["caviar", "bread"]
    assert "- [x] Milk" in note


def test_entries_read_every_kind_of_checkbox_and_skip_empty_ones() -> None:
    note = "- [ ] milk\n* [X] eggs\n  + [x] nested tea\n- [ ] \n- plain bullet\n"

    assert entries(note) == [
        Entry("milk", done=False),
        Entry("eggs", done=True),
        Entry("nested tea", done=True),
    ]


def test_issue10_item7_invisible_characters_do_not_make_a_new_item() -> None:
    note, added, present = add(
        "- [ ] milk\n- [ ] Ｅｇｇｓ\n", ["mi\u200blk", "\u202eeggs", "bread"]
    )

    assert (added, present) == (["bread"], ["mi\u200blk", "\u202eeggs"])
    assert note == "- [ ] milk\n- [ ] Ｅｇｇｓ\n- [ ] bread\n"
    assert tick(note, ["mil\u200dk"])[1] == ["milk"]
