"""On Matrix a reminder's buttons are reactions (issue 12): ✅ Done, 💤 Snooze 10 min, ⏰ 1 h."""

from __future__ import annotations

from bot.channels.matrix_events import reaction_hint, reaction_keys
from bot.messages import Button
from skills.reminders.delivery import buttons


def test_a_reminders_buttons_become_their_own_reactions() -> None:
    keys = reaction_keys(buttons(7))
    assert keys == {
        "✅": "reminders:done:7",
        "💤": "reminders:snooze:7:10",
        "⏰": "reminders:snooze:7:60",
    }
    assert reaction_hint(buttons(7), keys).startswith(
        "React ✅ for Done or 💤 for Snooze 10 min or ⏰ for Snooze 1 h"
    )


def test_buttons_without_an_emoji_keep_yes_no_and_numbers() -> None:
    keys = reaction_keys(
        (Button(label="Yes", data="confirm:1:yes"), Button(label="Later", data="x:later"))
    )
    assert keys == {"✅": "confirm:1:yes", "1\ufe0f\u20e3": "x:later"}
