"""The `gepeto` command: run the bot, chat in the terminal, manage members, check the setup."""

from __future__ import annotations

import ast
import importlib
import importlib.util
import json
import os
import sys
from collections.abc import Awaitable, Callable, Coroutine
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, TypeVar

import typer

# Each command imports what it needs when it runs: `gepeto --help` must not pay for the
# database, the skills and the HTTP clients (issue 11 item 10).
if TYPE_CHECKING:
    from bot.config import Config
    from bot.context import AppContext
    from bot.local_socket import LocalRequest
    from bot.messages import Reply
    from knowledge.index import SyncReport

PLAIN_HELP = None
"""Help and usage errors as plain text: formatting them with rich costs more than the rest."""

app = typer.Typer(
    name="gepeto",
    help="Gepeto, the family assistant.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    rich_markup_mode=PLAIN_HELP,
)
members_app = typer.Typer(
    help="Who belongs to the family.", no_args_is_help=True, rich_markup_mode=PLAIN_HELP
)
db_app = typer.Typer(help="The database.", no_args_is_help=True, rich_markup_mode=PLAIN_HELP)
app.add_typer(members_app, name="members")
app.add_typer(db_app, name="db")


def _add_skill_commands() -> None:
    """`gepeto <skill> ...` for each built-in skill with a `cli.py` exporting a typer `app`.

    Only the folder and the module's docstring are read here; the skill is imported when its
    command runs, so `gepeto --help` stays cheap and `bot/` names no skill.
    """
    spec = importlib.util.find_spec("skills")
    for folder in spec.submodule_search_locations or [] if spec else []:
        for module in sorted(Path(folder).glob("*/cli.py")):
            name = module.parent.name
            about = ast.get_docstring(ast.parse(module.read_text(encoding="utf-8"))) or ""
            _skill_command(name, about.split("\n", 1)[0])


def _skill_command(name: str, about: str) -> None:
    @app.command(
        name=name,
        help=about,
        add_help_option=False,
        context_settings={"allow_extra_args": True, "ignore_unknown_options": True},
    )
    def run_skill_cli(context: typer.Context) -> None:
        """Runs the skill's own typer app; its root context's `obj` is the `--config` path."""
        commands = typer.main.get_group(importlib.import_module(f"skills.{name}.cli").app)
        commands.main(args=context.args, prog_name=f"gepeto {name}", obj=_state["config"])


T = TypeVar("T")
ConfigOption = Annotated[
    Path | None,
    typer.Option("--config", "-c", help="bot.toml to use (default: $GEPETO_CONFIG or ./bot.toml)"),
]
_state: dict[str, Path | None] = {"config": None}


@app.callback()
def main_options(config: ConfigOption = None) -> None:
    _state["config"] = config


def _config(log_to_file: bool = False) -> Config:
    """Loads the configuration (or exits naming the bad key) and sets up logging."""
    from bot.config import ConfigError, load_config

    try:
        config = load_config(_state["config"])
    except ConfigError as error:
        typer.echo(f"Configuration error: {error}", err=True)
        raise typer.Exit(2) from None
    _setup_logs(config, log_to_file)
    return config


def _setup_logs(config: Config, to_file: bool) -> None:
    """Logs go to stderr or `[logging] file`, or to data/gepeto.log while chatting here."""
    from bot import logs

    settings = config.settings.logging
    data_dir = config.settings.storage.data_dir
    log_file = data_dir / (settings.file or "gepeto.log") if to_file or settings.file else None
    logs.setup(
        settings.level,
        settings.format,
        config.secrets.values(),
        log_file,
        rotate_bytes=settings.rotate_bytes,
        keep_files=settings.keep_files,
    )


def _run(work: Callable[[], Coroutine[Any, Any, T]]) -> T:
    import asyncio

    try:
        return asyncio.run(work())
    except Exception as error:
        if not _told_in_one_sentence(error):
            raise
        typer.echo(str(error), err=True)
        raise typer.Exit(1) from None


def _told_in_one_sentence(error: Exception) -> bool:
    """Errors whose message is the whole story for a person (issue 10 item 5: no traceback)."""
    from bot.backup import BackupError
    from bot.config import ConfigError
    from bot.family import FamilyError
    from bot.instance import AlreadyRunning
    from bot.local_socket import QuestionRefused
    from bot.restore import RestoreError
    from bot.skills import SkillLoadError
    from bot.vault_search import IndexBusyError
    from storage.database import StorageError

    told = (FamilyError, SkillLoadError, IndexBusyError, ConfigError, StorageError, AlreadyRunning)
    return isinstance(error, (*told, BackupError, RestoreError, QuestionRefused))


@app.command()
def run() -> None:
    """Run the bot: every configured chat channel, or the console when none is."""
    from bot.app import ensure_demo_household, open_app, serve
    from bot.channels import chat_channels
    from bot.channels.console import ConsoleChannel
    from bot.channels.supervisor import ChannelFatal
    from bot.instance import running_alone
    from bot.pods import registered

    config = _config()
    if not (config.telegram_enabled or config.matrix_enabled):
        _setup_logs(config, to_file=sys.stdin.isatty())

    async def work() -> None:
        async with (
            running_alone(config.settings.storage.data_dir),
            registered(config),
            open_app(config) as ctx,
        ):
            channels = chat_channels(ctx)
            if not channels:
                members = await ensure_demo_household(ctx)
                parent = next((m for m in members if m.role == "parent"), members[0])
                typer.echo(
                    f"No chat channel is configured (set TELEGRAM_BOT_TOKEN or Matrix in "
                    f"bot.toml), so here is the console. You are {parent.name} ({parent.role}); "
                    "type /help, or Ctrl-D to quit."
                )
                channels.append(
                    ConsoleChannel(
                        ctx.clock,
                        parent.name,
                        max_message_chars=ctx.settings.safety.max_message_chars,
                    )
                )
            await serve(ctx, channels)

    try:
        _run(work)
    except ChannelFatal:
        raise typer.Exit(1) from None  # the supervisor logged which channel and why


async def _first_parent(ctx: AppContext, name: str, ask: bool) -> None:
    """On an empty household, the first console user becomes its first parent."""
    if not await ctx.family.is_empty():
        return
    if ask and not typer.confirm(
        f"Nobody lives here yet. Create {name} as the first parent?", default=True
    ):
        raise typer.Exit(1)
    await ctx.family.add(name, "parent")
    typer.echo(f"Welcome, {name}! You are the first parent of this household.", err=True)


@app.command()
def chat(as_: Annotated[str, typer.Option("--as", help="the member you are")]) -> None:
    """Chat with Gepeto in this terminal as a family member."""
    from bot.app import build_router, open_app
    from bot.channels.console import CHANNEL, ConsoleChannel
    from bot.outbox import Outbox

    config = _config(log_to_file=True)

    async def work() -> None:
        async with open_app(config) as ctx:
            await _first_parent(ctx, as_, ask=sys.stdin.isatty())
            typer.echo(f"Chatting as {as_}. Type /help, or Ctrl-D to quit.")
            console = ConsoleChannel(
                ctx.clock, as_, max_message_chars=ctx.settings.safety.max_message_chars
            )
            outbox = Outbox(ctx.sessions, ctx.clock, ctx.redact)
            outbox.register(CHANNEL, console.send)
            router = build_router(ctx, outbox)
            router.stream_openers[CHANNEL] = console.open_stream
            await console.run(router)

    _run(work)


@app.command()
def say(
    as_: Annotated[str, typer.Option("--as", help="the member sending it")],
    text: Annotated[str, typer.Argument(help="the message (a caption with --attach)")] = "",
    json_output: Annotated[bool, typer.Option("--json", help="print one JSON object")] = False,
    attach: Annotated[
        list[Path] | None, typer.Option("--attach", help="a file to send with it (repeatable)")
    ] = None,
) -> None:
    """Send one message through the whole pipeline and print the reply."""
    config = _config(log_to_file=True)
    result = None if attach else _say_through_running_bot(config, as_, text)
    if result is None:
        result = _say_here(config, as_, text, attach or [])
    if json_output:
        typer.echo(json.dumps(result, ensure_ascii=False))
    else:
        typer.echo(result["reply"] or "(no reply)")


def _say_through_running_bot(config: Config, name: str, text: str) -> dict[str, Any] | None:
    """What the running bot answers (a fraction of the start-up cost); None when none runs."""
    from bot.local_socket import ask_running_bot

    question = _question(command="say", text=text, member=name)
    data_dir = config.settings.storage.data_dir
    answered = _run_refusable(lambda: ask_running_bot(data_dir, question))
    if answered is None:
        return None
    welcome = answered.pop("welcome", None)
    if welcome:
        typer.echo(welcome, err=True)
    return answered


def _say_here(config: Config, as_: str, text: str, attach: list[Path]) -> dict[str, Any]:
    """The message through a pipeline of this process's own (files are sent this way)."""
    from bot.app import build_router, open_app
    from bot.channels.console import CHANNEL, console_message, local_attachment
    from bot.outbox import Outbox
    from bot.say import said

    async def work() -> dict[str, Any]:
        async with open_app(config) as ctx:
            await _first_parent(ctx, as_, ask=False)
            delivered: list[Reply] = []

            async def collect(_chat: str, reply: Reply, _key: str) -> None:
                delivered.append(reply)

            outbox = Outbox(ctx.sessions, ctx.clock, ctx.redact)
            outbox.register(CHANNEL, collect)
            router = build_router(ctx, outbox)
            limit = ctx.settings.safety.max_message_chars
            files = tuple(local_attachment(path) for path in attach)
            outcome = await router.handle_now(
                console_message(ctx.clock, as_, text, max_chars=limit, attachments=files)
            )
            await outbox.deliver_due(CHANNEL)
            assert outcome is not None
            return said(outcome, delivered)

    return _run(work)


@app.command()
def index(
    rebuild: Annotated[bool, typer.Option("--rebuild", help="start from scratch")] = False,
) -> None:
    """Bring the vault's search index up to date (only changed notes are re-read)."""
    from rich.progress import Progress

    from bot.app import open_app

    config = _config()

    async def work() -> SyncReport:
        async with open_app(config) as ctx:
            assert ctx.knowledge is not None
            vault_index = await ctx.knowledge.index()
            with Progress(transient=True, disable=not sys.stdout.isatty()) as bar:
                task = bar.add_task("Indexing notes", total=None)

                def progress(done: int, total: int) -> None:
                    bar.update(task, completed=done, total=total)

                if rebuild:
                    return await vault_index.rebuild_async(progress)
                return await vault_index.sync_async(progress)

    report = _run(work)
    typer.echo(
        f"{report.added} added, {report.changed} changed, {report.removed} removed, "
        f"{report.unchanged} unchanged in {report.seconds:.1f} s"
        + (" (rebuilt)" if report.rebuilt else "")
    )
    for path, problems in sorted(report.problems.items()):
        typer.echo(f"  {path}: {'; '.join(problems)}", err=True)


AsMember = Annotated[
    str | None,
    typer.Option("--as", help="the member asking: their role's limits apply (default: you)"),
]


def _question(**fields: Any) -> LocalRequest:
    """The question as the bot reads it, or a one-line complaint about what is wrong with it."""
    from pydantic import ValidationError

    from bot.local_socket import LocalRequest

    try:
        return LocalRequest.model_validate(fields)
    except ValidationError as error:
        problem = error.errors()[0]
        typer.echo(f"{'.'.join(map(str, problem['loc']))}: {problem['msg']}", err=True)
        raise typer.Exit(2) from None


def _vault_answer(question: LocalRequest) -> dict[str, Any]:
    """Asks the running bot (well under a second); without one, opens the index here."""
    from bot.local_socket import answer, ask_running_bot

    config = _config()
    answered = _run_refusable(lambda: ask_running_bot(config.settings.storage.data_dir, question))
    if answered is not None:
        return answered

    from bot.app import open_app

    async def work() -> dict[str, Any]:
        async with open_app(config) as ctx:
            return await answer(ctx, question)

    return _run(work)


def _run_refusable(work: Callable[[], T]) -> T:
    """`work`, with a refusal printed as its one sentence."""
    from bot.local_socket import QuestionRefused

    try:
        return work()
    except QuestionRefused as refused:
        typer.echo(str(refused), err=True)
        raise typer.Exit(1) from None


def _say_indexing(answered: dict[str, Any]) -> None:
    """Says how far the vault's first index is, while it builds (on stderr: JSON stays JSON)."""
    from bot.local_socket import indexing_line

    indexing = answered.get("indexing")
    if indexing:
        typer.echo(
            f"{indexing_line(indexing)}; until then answers come from a keyword search", err=True
        )


@app.command()
def search(
    query: str,
    k: Annotated[int, typer.Option("--k", help="how many notes")] = 5,
    json_output: Annotated[bool, typer.Option("--json", help="print JSON")] = False,
    as_: AsMember = None,
) -> None:
    """Search the vault (through the running bot, or by opening the index here)."""
    answered = _vault_answer(_question(command="search", text=query, k=k, member=as_))
    _say_indexing(answered)
    hits: list[dict[str, Any]] = answered["hits"]
    if json_output:
        typer.echo(json.dumps(hits, ensure_ascii=False))
        return
    for hit in hits:
        heading = f" › {hit['heading']}" if hit["heading"] else ""
        typer.echo(f"{hit['score']:.3f}  {hit['path']}{heading}\n       {hit['snippet']}")
    if not hits:
        typer.echo("Nothing in the vault matches that.")


@app.command()
def ask(question: str, as_: AsMember = None) -> None:
    """Answer a question from the vault, citing the notes used."""
    answered = _vault_answer(_question(command="ask", text=question, member=as_))
    typer.echo(answered["text"])


@members_app.command("add")
def members_add(
    name: str,
    role: Annotated[str, typer.Option(help="parent, adult, child or guest")],
    language: Annotated[str | None, typer.Option(help="e.g. en, de, pt")] = None,
) -> None:
    """Add a family member."""
    member = _with_app(lambda ctx: ctx.family.add(name, role, language))
    typer.echo(f"Added {member.name} ({member.role}).")


@members_app.command("list")
def members_list() -> None:
    """List the family's members and their chat identities."""

    async def listing(ctx: AppContext) -> list[str]:
        rows = []
        for member in await ctx.family.members():
            linked = ", ".join(await ctx.family.identities(member)) or "not linked yet"
            rows.append(f"{member.name:<16} {member.role:<7} {linked}")
        return rows

    rows = _with_app(listing)
    typer.echo(
        "\n".join(rows) if rows else "No members yet: gepeto members add NAME --role parent"
    )


@members_app.command("remove")
def members_remove(name: str) -> None:
    """Remove a member (and their chat links)."""
    member = _with_app(lambda ctx: ctx.family.remove(name))
    typer.echo(f"Removed {member.name}.")


@members_app.command("link")
def members_link(
    name: str,
    address: Annotated[str, typer.Argument(help="telegram:<user id> or matrix:@user:server")],
) -> None:
    """Link a member to their Telegram or Matrix account."""
    member = _with_app(lambda ctx: ctx.family.link(name, address))
    typer.echo(f"Linked {address} to {member.name}.")


@members_app.command("invite")
def members_invite(name: str) -> None:
    """Make a one-time pairing code the member sends as /pair CODE from their chat."""
    code, member = _with_app(lambda ctx: ctx.family.invite(name))
    typer.echo(
        f"Pairing code for {member.name}: {code}\n"
        f"Ask {member.name} to send “/pair {code}” to the bot. It works once, within 24 hours."
    )


@members_app.command("api-key")
def members_api_key(name: str) -> None:
    """Make the member's key to the HTTP API (shown once; it replaces their old one)."""
    from bot.api_keys import create_key

    async def making(ctx: AppContext) -> tuple[str, str]:
        member = await ctx.family.get(name)
        return member.name, await create_key(ctx.sessions, ctx.clock, member)

    member_name, key = _with_app(making)
    typer.echo(
        f"API key for {member_name} (shown only now; any older key of theirs stopped working):\n"
        f"{key}\n"
        f"Send it as the header “Authorization: Bearer <key>”; it may do what {member_name} may."
    )


@db_app.command("upgrade")
def db_upgrade() -> None:
    """Apply database migrations (also done automatically at start-up)."""
    from bot.skills import load_skills, migration_folders
    from storage.database import create_engine, upgrade

    config = _config()

    async def work() -> None:
        folders = migration_folders(load_skills(config.settings.skills.plugins))
        engine = create_engine(config.settings.storage.resolved_database_url())
        try:
            await upgrade(engine, folders)
        finally:
            await engine.dispose()

    _run(work)
    typer.echo("The database is up to date.")


@db_app.command("migrate-to")
def db_migrate_to(
    url: Annotated[str, typer.Argument(help="e.g. postgresql+asyncpg://gepeto@127.0.0.1/gepeto")],
) -> None:
    """Copy the household into another (empty) database and check every table's row count."""
    from bot.skills import load_skills, migration_folders
    from storage.transfer import copy_household

    config = _config()
    folders = migration_folders(load_skills(config.settings.skills.plugins))
    source = config.settings.storage.resolved_database_url()
    counts = _run(lambda: copy_household(source, url, folders))
    typer.echo(
        f"Copied {sum(counts.values())} rows in {len(counts)} tables; every count matches. "
        "Set storage.database_url to the new database and restart Gepeto."
    )


@app.command()
def backup(
    to: Annotated[
        Path | None, typer.Option("--to", help="folder (default: [backup] folder)")
    ] = None,
) -> None:
    """Write one consistent archive of the household (safe while the bot runs)."""
    from datetime import UTC, datetime

    from bot.backup import BackupPlan, take_backup

    plan = BackupPlan.of(_config())
    report = _run(lambda: take_backup(plan, datetime.now(UTC), to))
    typer.echo(
        f"Backed up {report.files} files into {report.archive} "
        f"({report.size / 1_000_000:.1f} MB, {report.seconds:.1f} s)."
    )


@app.command()
def restore(
    archive: Annotated[Path, typer.Argument(help="a gepeto-….tar written by `gepeto backup`")],
    force: Annotated[
        bool, typer.Option("--force", help="keep the current household aside and restore over it")
    ] = False,
) -> None:
    """Bring a household back from a backup into an empty data dir (checked before anything)."""
    from datetime import UTC, datetime

    from bot.restore import restore as restore_household

    config = _config()
    report = _run(lambda: restore_household(config, archive, datetime.now(UTC), force))
    typer.echo(
        f"Restored the backup of {report.taken_at}: {report.rows} rows, {report.files} files, "
        "all matching their hashes. The search index is rebuilt when Gepeto starts."
    )
    for place in report.kept_aside:
        typer.echo(f"The household that was here is kept in {place}.")
    if report.vault_differences:
        typer.echo(
            f"{len(report.vault_differences)} note(s) in the vault differ from the backup "
            f"(first: {report.vault_differences[0]}): sync the vault from its own copy.",
            err=True,
        )


@app.command()
def health() -> None:
    """Exit 0 when a running bot has shown a heartbeat in the last two minutes (for containers)."""
    from datetime import UTC, datetime

    from bot.app import is_alive

    config = _config()
    alive = is_alive(config.settings.storage.data_dir, datetime.now(UTC))
    typer.echo("alive" if alive else "no recent heartbeat: is `gepeto run` running?")
    raise typer.Exit(0 if alive else 1)


@app.command()
def doctor() -> None:
    """Check the setup and say how to fix what is wrong."""
    import asyncio

    from bot.doctor import print_report, run_checks

    checks = asyncio.run(run_checks(_state["config"]))
    raise typer.Exit(print_report(checks))


def _with_app(work: Callable[[AppContext], Awaitable[T]]) -> T:
    from bot.app import open_app

    config = _config()

    async def opened() -> T:
        async with open_app(config) as ctx:
            return await work(ctx)

    return _run(opened)


def main() -> None:
    os.environ.setdefault("ANONYMIZED_TELEMETRY", "False")
    # Gepeto uses no pydantic plugins; looking for them reads every installed package's
    # metadata, ≈0.08 s of CPU on each start (issue 11 item 10).
    os.environ.setdefault("PYDANTIC_DISABLE_PLUGINS", "__all__")
    app()


_add_skill_commands()
