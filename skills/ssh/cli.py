"""Set up a family machine so it runs only Gepeto's catalog actions (`gepeto ssh ...`)."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Annotated

import asyncssh
import typer

from bot.config import ConfigError, load_config
from skills.ssh.catalog import Host, SshSettings
from skills.ssh.forced import CHECKER_PATH, authorized_keys_line, checker_program

app = typer.Typer(help="Actions on the family's machines over SSH.", no_args_is_help=True)


def _host(context: typer.Context, name: str) -> tuple[SshSettings, Host, dict[str, str]]:
    """The catalog of the bot.toml in use (`gepeto --config`), and the named host in it."""
    path = context.find_root().obj  # `gepeto --config PATH`, passed on by bot/cli.py
    try:
        config = load_config(Path(path) if path else None)
        catalog = SshSettings.model_validate(config.settings.skills.sections().get("ssh", {}))
    except (ConfigError, ValueError) as error:
        typer.echo(f"Configuration error: {error}", err=True)
        raise typer.Exit(2) from None
    host = catalog.hosts.get(name)
    if host is None:
        known = ", ".join(sorted(catalog.hosts)) or "none yet"
        typer.echo(
            f"There is no host {name!r} under [skills.ssh.hosts] (known: {known}).", err=True
        )
        raise typer.Exit(2)
    return catalog, host, dict(config.environ)


@app.command()
def authorize(
    context: typer.Context,
    host: str,
    checker: Annotated[
        str, typer.Option(help="where the checker is installed on the machine")
    ] = CHECKER_PATH,
) -> None:
    """Print the authorized_keys line that lets Gepeto's key run only the checker on HOST."""
    catalog, _, environ = _host(context, host)
    key_file = environ.get(catalog.key_file_env) or os.environ.get(catalog.key_file_env)
    if not key_file:
        typer.echo(
            f"Set {catalog.key_file_env} to Gepeto's private key file first "
            "(ssh-keygen -t ed25519 -N '' -f gepeto_key).",
            err=True,
        )
        raise typer.Exit(2)
    try:
        key = asyncssh.read_private_key(key_file)
    except (OSError, asyncssh.KeyImportError) as error:
        typer.echo(f"Cannot read the key file {key_file}: {error}", err=True)
        raise typer.Exit(1) from None
    try:
        line = authorized_keys_line(key, host, checker)
    except ValueError as error:
        typer.echo(str(error), err=True)
        raise typer.Exit(2) from None
    typer.echo(line)
    typer.echo(
        f"Add this line to ~/.ssh/authorized_keys of the login user on {host}, and install the "
        f"checker there: gepeto ssh checker {host} > gepeto-ssh-check, copy it to {checker}, "
        "chmod 755.",
        err=True,
    )


@app.command("checker")
def checker_command(context: typer.Context, host: str) -> None:
    """Print the forced-command checker for HOST (a one-file Python 3 program) to install there."""
    _, machine, _ = _host(context, host)
    typer.echo(checker_program(machine), nl=False)
