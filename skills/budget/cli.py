"""`gepeto budget export --month 2026-11 > nov.csv`: the month's expenses for a spreadsheet."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

app = typer.Typer(help="The family budget.", no_args_is_help=True)


@app.command("export")
def export_command(
    context: typer.Context,
    month: Annotated[str, typer.Option(help="the month, e.g. 2026-11 (default: this month)")] = "",
) -> None:
    """Print the month's expenses (household and pocket money) as CSV."""
    import asyncio

    from bot.app import open_app
    from bot.config import ConfigError, load_config
    from bot.skills import SkillLoadError
    from skills.budget.export import export_csv
    from skills.budget.ledger import Month, today
    from skills.budget.privacy import HOUSEHOLD_BUDGET, pocket_money
    from storage.database import StorageError

    path = context.find_root().obj  # `gepeto --config PATH`, passed on by bot/cli.py
    try:
        config = load_config(Path(path) if path else None)
        wanted = Month.parse(month) if month else None
    except ConfigError as error:
        typer.echo(f"Configuration error: {error}", err=True)
        raise typer.Exit(2) from None
    except ValueError:
        typer.echo(f"{month!r} is not a month; use the form 2026-11.", err=True)
        raise typer.Exit(2) from None

    async def work() -> str:
        async with open_app(config) as ctx:
            services = ctx.skill("budget").services
            chosen = wanted or Month.of(today(ctx.clock.now(), ctx.settings.household.timezone))
            members = await ctx.family.members()
            budgets = [HOUSEHOLD_BUDGET, *(pocket_money(m.id, m.name) for m in members)]
            names = {member.id: member.name for member in members}
            return await export_csv(services.sessions, budgets, chosen, names)

    try:
        typer.echo(asyncio.run(work()), nl=False)
    except (StorageError, SkillLoadError, ConfigError) as error:
        typer.echo(str(error), err=True)
        raise typer.Exit(1) from None
