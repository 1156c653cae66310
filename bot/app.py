"""Builds the running bot: the AppContext, the router with its middlewares, and the channels."""

from __future__ import annotations

import asyncio
import contextlib
import functools
import logging
import signal
from collections.abc import AsyncIterator
from datetime import datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING

import handlers
import handlers.commands
import handlers.strangers
from bot.actions import Turn
from bot.backup import BackupPlan
from bot.channels import console
from bot.channels.base import Channel
from bot.channels.supervisor import ChannelFatal, supervise
from bot.clock import Clock, SystemClock
from bot.config import Config
from bot.context import AppContext, LoadedSkill
from bot.database_guard import DatabaseGuard
from bot.family import Family, Member
from bot.fastpath import FastPath
from bot.http_client import SharedHttpClient
from bot.jobs import SkillJobs
from bot.llm.client import LLMClient
from bot.local_socket import LocalSocket
from bot.logs import add_secrets
from bot.media import Media
from bot.messages import Outcome
from bot.metrics import Metrics
from bot.middlewares import (
    Middleware,
    RateLimit,
    Request,
    catch_errors,
    identify,
    log_messages,
    refuse_too_long,
    skip_unaddressed,
)
from bot.notify import Notifier
from bot.outbox import Outbox
from bot.redact import Redactor
from bot.router import Router
from bot.say import API_CHANNEL, ReplyCollector
from bot.scheduler import Firing, Scheduler
from bot.services import SkillServices
from bot.skills import load_skills, migration_folders, role_permissions, skill_settings
from bot.tools import ToolRegistry
from bot.vault_search import VaultSearch
from bot.workers import WorkerPool
from knowledge.vault import Vault
from storage.database import create_engine, session_factory, upgrade

if TYPE_CHECKING:
    from bot.http_server import HttpServer

log = logging.getLogger(__name__)

DEMO_HOUSEHOLD = (("Alex", "parent"), ("Sam", "child"))
HEARTBEAT_EVERY_S = 30.0
HEARTBEAT_STALE_S = 120.0


def heartbeat_path(app: AppContext) -> Path:
    return app.settings.storage.data_dir / "heartbeat"


async def beat(app: AppContext) -> None:
    """Touches the heartbeat file while the bot runs, for the container's health check."""
    path = heartbeat_path(app)
    while True:
        await asyncio.to_thread(path.write_text, app.clock.now().isoformat())
        await asyncio.sleep(HEARTBEAT_EVERY_S)


def is_alive(data_dir: Path, now: datetime) -> bool:
    """True when a running bot touched its heartbeat recently."""
    try:
        last = datetime.fromisoformat((data_dir / "heartbeat").read_text().strip())
    except (OSError, ValueError):
        return False
    return (now - last).total_seconds() < HEARTBEAT_STALE_S


@contextlib.asynccontextmanager
async def open_app(config: Config, clock: Clock | None = None) -> AsyncIterator[AppContext]:
    """Opens the database (migrating it), starts the skills, and closes everything afterwards."""
    settings = config.settings
    settings.storage.data_dir.mkdir(parents=True, exist_ok=True)
    settings.vault.path.mkdir(parents=True, exist_ok=True)
    for note in config.deprecations:
        log.warning(note)
    skills = load_skills(settings.skills.plugins)
    skill_config = skill_settings(skills, settings.skills.sections(), config.source)
    skills = [s.configure(skill_config[s.name]) if s.configure else s for s in skills]
    engine = create_engine(settings.storage.resolved_database_url())
    clock = clock or SystemClock()
    metrics = Metrics()
    workers = WorkerPool(settings.workers.limits, settings.workers.default_limit, metrics)
    media = Media(
        settings.storage.data_dir / "media",
        clock,
        settings.media.max_bytes,
        timedelta(hours=settings.media.keep_hours),
    )
    media.register(console.CHANNEL, console.read_local_file)
    try:
        await upgrade(engine, migration_folders(skills))
        sessions = session_factory(engine)
        llm = LLMClient(settings.llm, clock, metrics) if settings.llm.enabled else None
        knowledge = VaultSearch(settings, llm, clock=clock, metrics=metrics)
        family = Family(sessions, clock, settings.household.name)
        vault = Vault(settings.vault.path)
        notify = Notifier(sessions, clock)
        redact = Redactor(config.secrets.values())
        started: dict[str, LoadedSkill] = {}

        async def dispatch(firing: Firing) -> None:
            """Hands a scheduled firing to the job kind of the skill that filed it."""
            loaded = started.get(firing.skill)
            kind = (
                next((k for k in loaded.skill.jobs if k.name == firing.kind), None)
                if loaded
                else None
            )
            if loaded is None or kind is None:
                raise LookupError(f"no skill handles {firing.skill}/{firing.kind} jobs any more")
            await kind.run(loaded.services, firing)

        scheduler = Scheduler(sessions, clock, dispatch, settings.household.timezone, metrics)
        backup = BackupPlan.of(config)
        http = SharedHttpClient()
        async with (
            contextlib.aclosing(http),
            contextlib.aclosing(llm) if llm else contextlib.nullcontext(),
            contextlib.AsyncExitStack() as running,
        ):
            loaded = tuple(
                LoadedSkill(
                    skill=skill,
                    services=SkillServices(
                        skill=skill.name,
                        settings=skill_config[skill.name],
                        household=settings.household,
                        data_dir=settings.storage.data_dir,
                        sessions=sessions,
                        clock=clock,
                        shared_http=http,
                        family=family,
                        vault=vault,
                        search=knowledge,
                        llm=llm,
                        notify=notify,
                        jobs=SkillJobs(scheduler, skill.name),
                        workers=workers,
                        media=media,
                        log=logging.getLogger(f"gepeto.skills.{skill.name}"),
                        backup=backup,
                    ),
                )
                for skill in skills
            )
            started.update((each.skill.name, each) for each in loaded)
            running.push_async_callback(vault.settle)
            running.callback(knowledge.close)
            running.callback(workers.close)
            for each in loaded:
                await _start(each, config, redact, running)
            yield AppContext(
                config=config,
                engine=engine,
                sessions=sessions,
                clock=clock,
                http=http,
                family=family,
                tools=ToolRegistry((skill.name, tool) for skill in skills for tool in skill.tools),
                fastpath=FastPath(
                    [
                        *FastPath.from_files(p for skill in skills for p in skill.phrases).intents,
                        *(intent for skill in skills for intent in skill.intents),
                    ],
                    recognizers=[
                        functools.partial(each.skill.recognize, each.services)
                        for each in loaded
                        if each.skill.recognize is not None
                    ],
                ),
                vault=vault,
                skills=loaded,
                commands=handlers.commands.table(skills),
                roles=role_permissions(settings.safety.roles, skills),
                notify=notify,
                scheduler=scheduler,
                redact=redact,
                workers=workers,
                media=media,
                llm=llm,
                knowledge=knowledge,
                metrics=metrics,
            )
    finally:
        await engine.dispose()


async def _start(
    loaded: LoadedSkill, config: Config, redact: Redactor, running: contextlib.AsyncExitStack
) -> None:
    """Enters a skill's setup with its secrets; what it yields is the skill's client."""
    skill = loaded.skill
    if skill.setup is None:
        return
    secrets = config.skill_secrets(skill.secrets)
    values = [secret.get_secret_value() for secret in secrets.values()]
    add_secrets(values)
    redact.add(values)
    client = await running.enter_async_context(skill.setup(loaded.services, secrets))
    if client is not None:
        loaded.services.held["client"] = client


def build_router(app: AppContext, outbox: Outbox) -> Router:
    """The one place the pipeline is assembled: the middlewares in order, then the handlers."""
    app.notify.wake_with(outbox.wake)
    safety = app.settings.safety
    middlewares: list[Middleware] = [
        log_messages(app.metrics),
        catch_errors,
        skip_unaddressed,
        identify(app, handlers.strangers.handle),
        RateLimit(app.clock, safety.messages_per_minute, safety.burst),
        refuse_too_long(safety.max_message_chars),
    ]

    async def handle(request: Request) -> Outcome:
        assert request.member is not None
        turn = Turn(
            app=app, incoming=request.incoming, member=request.member, inbox_id=request.inbox_id
        )
        if request.stream is not None:
            turn.stream = request.stream
        return await handlers.dispatch(turn)

    return Router(app, outbox, middlewares, handle)


async def ensure_demo_household(app: AppContext) -> list[Member]:
    """A fresh install with no chat tokens gets a small demo family to try things with."""
    if await app.family.is_empty():
        for name, role in DEMO_HOUSEHOLD:
            await app.family.add(name, role)
    return await app.family.members()


async def serve(app: AppContext, channels: list[Channel]) -> None:
    """Runs the channels and the outbox until SIGTERM/SIGINT or every channel has ended.

    A channel that fails is restarted; one that raises ChannelFatal stops everything, and
    `serve` raises it after the orderly shutdown.
    """
    outbox = Outbox(app.sessions, app.clock, app.redact)
    router = build_router(app, outbox)
    for channel in channels:
        outbox.register(channel.name, channel.send)
        opener = getattr(channel, "open_stream", None)
        if opener is not None:
            router.stream_openers[channel.name] = opener
        fetcher = getattr(channel, "fetch_media", None)
        if fetcher is not None:
            app.media.register(channel.name, fetcher)
    resumed = await router.resume()
    if resumed:
        log.info("handled %d message(s) left over from the last run", resumed)
    guard = DatabaseGuard(app, channels)
    await guard.check()  # learns where the parents are before any channel can lose the file
    # Messages from the API and from `gepeto say` through this bot: their callers wait for them.
    replies = ReplyCollector()
    outbox.register(API_CHANNEL, replies.send)
    http = await open_http_server(app, channels, guard, router, outbox, replies)
    local = LocalSocket(app, router, outbox, replies)
    await local.start()
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        with contextlib.suppress(NotImplementedError, RuntimeError):
            loop.add_signal_handler(sig, stop.set)
    background = []
    if app.knowledge is not None and app.settings.knowledge.watch:
        background.append(asyncio.create_task(app.knowledge.keep_in_step(), name="vault-watch"))
    guarding = asyncio.create_task(guard.watch(), name="database-guard")
    background.append(guarding)
    background.append(asyncio.create_task(app.scheduler.run(), name="scheduler"))
    outbox_task = asyncio.create_task(outbox.run(), name="outbox")
    heartbeat_task = asyncio.create_task(beat(app), name="heartbeat")
    channel_tasks = [asyncio.create_task(supervise(c, router), name=c.name) for c in channels]
    # Supervised channels only raise ChannelFatal: the first one stops the process.
    all_channels_done = asyncio.create_task(
        asyncio.wait(channel_tasks, return_when=asyncio.FIRST_EXCEPTION), name="channels"
    )
    stopped = asyncio.create_task(stop.wait(), name="stop")
    await asyncio.wait({all_channels_done, stopped, guarding}, return_when=asyncio.FIRST_COMPLETED)
    log.info("shutting down: finishing messages in flight")
    for task in (*channel_tasks, stopped, all_channels_done):
        task.cancel()
    ended = await asyncio.gather(*channel_tasks, return_exceptions=True)
    fatal = next((e for e in ended if isinstance(e, ChannelFatal)), None)
    if guard.lost is None:  # a lost database takes no more work
        await router.drain()
        await outbox.deliver_due()
    for channel in channels:
        closer = getattr(channel, "aclose", None)
        if closer is not None:
            await closer()
    if http is not None:
        await http.close()
    await local.close()
    for task in (outbox_task, heartbeat_task, *background):
        task.cancel()
    await asyncio.gather(
        outbox_task,
        heartbeat_task,
        *background,
        stopped,
        all_channels_done,
        return_exceptions=True,
    )
    heartbeat_path(app).unlink(missing_ok=True)
    for sig in (signal.SIGTERM, signal.SIGINT):
        with contextlib.suppress(NotImplementedError, RuntimeError):
            loop.remove_signal_handler(sig)
    guard.raise_if_lost()
    if fatal is not None:
        raise fatal


async def open_http_server(
    app: AppContext,
    channels: list[Channel],
    guard: DatabaseGuard,
    router: Router,
    outbox: Outbox,
    replies: ReplyCollector,
) -> HttpServer | None:
    """The `[http]` server with health and metrics, the `[api]` when enabled, and the channels
    that serve on it (Telegram's webhook); None when neither is enabled.
    """
    settings = app.settings
    if not (settings.http.enabled or settings.api.enabled):
        return None
    from bot.api import HouseholdApi
    from bot.health import Health
    from bot.http_server import HttpServer

    server = HttpServer(settings.http.listen)
    Health(app, channels, guard).add_routes(server)
    if settings.api.enabled:
        HouseholdApi(app, router, outbox, replies).add_routes(server)
    await server.start()
    for channel in channels:
        use = getattr(channel, "use_http_server", None)
        if use is not None:
            use(server)
    return server
