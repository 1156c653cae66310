"""Turning action results into the outcome of a message."""

from __future__ import annotations

from bot.actions import ActionResult, Turn
from bot.messages import Outcome, Reply, Route


def outcome(turn: Turn, route: Route, *results: ActionResult) -> Outcome:
    """One reply per result: the confirmation question if it asks one, else its text."""
    replies = tuple(
        result.reply or Reply(text=result.text)
        for result in results
        if result.reply or result.text
    )
    return Outcome(route=route, replies=replies, actions=tuple(turn.reports))


def say(turn: Turn, route: Route, text: str) -> Outcome:
    return Outcome(route=route, replies=(Reply(text=text),), actions=tuple(turn.reports))
