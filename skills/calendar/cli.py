"""Import and export the family calendar as ICS files (`gepeto calendar import|export`)."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, TypeVar

import typer

if TYPE_CHECKING:
    from bot.services import SkillServices

T = TypeVar("T")

app = typer.Typer(help="The family calendar.", no_args_is_help=True)


def _with_calendar(context: typer.Context, work: Callable[[SkillServices], Awaitable[T]]) -> T:
    """Opens the household of the bot.toml in use (`gepeto --config`) and runs `work`."""
    from bot.app import open_app
    from bot.config import ConfigError, load_config
    from storage.database import StorageError

    path = context.find_root().obj  # `gepeto --config PATH`, passed on by bot/cli.py
    try:
        config = load_config(Path(path) if path else None)
    except ConfigError as error:
        typer.echo(f"Configuration error: {error}", err=True)
        raise typer.Exit(2) from None

    async def opened() -> T:
        async with open_app(config) as ctx:
            return await work(ctx.skill("calendar").services)

    try:
        return asyncio.run(opened())
    except StorageError as error:
        typer.echo(str(error), err=True)
        raise typer.Exit(1) from None


@app.command("import")
def import_(
    context: typer.Context,
    file: Annotated[Path, typer.Argument(help="an .ics file", exists=True, dir_okay=False)],
) -> None:
    """Add the events of an iCalendar file (those imported before are updated)."""
    from skills.calendar.ics import CalendarFileError, import_file

    data = file.read_bytes()
    try:
        report = _with_calendar(context, lambda services: import_file(services, data))
    except CalendarFileError as error:
        typer.echo(f"{file} cannot be imported: {error}", err=True)
        raise typer.Exit(1) from None
    typer.echo(f"Imported {report.added} new and {report.updated} updated event(s) from {file}.")


@app.command()
def export(
    context: typer.Context,
    file: Annotated[Path | None, typer.Argument(help="where to write; default: stdout")] = None,
) -> None:
    """Write the whole family calendar as an iCalendar file."""
    from skills.calendar.ics import export_all

    data = _with_calendar(context, export_all)
    if file is None:
        typer.echo(data.decode(), nl=False)
        return
    file.write_bytes(data)
    typer.echo(f"Wrote the calendar to {file}.", err=True)
