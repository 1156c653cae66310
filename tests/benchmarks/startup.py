"""Prints what the `gepeto` command costs before it does any work: CPU and wall seconds per call.

Run: `python tests/benchmarks/startup.py [--runs N]`. Each call is a fresh Python process, as a
person typing it, against a temporary household (no LLM, the test skill loaded). `gepeto say`
is called once first so that the database exists and is migrated; the figures are the calls
after it. CPU seconds are the child's user + system time. Nothing here asserts: it reports
figures and their targets (issue 11 item 10).

`gepeto say` is measured twice: handled by the command itself, and put to a running `gepeto
run` over its local socket (as on a box where the bot runs; the command then imports neither
the database layer nor any skill).

The database-layer line is a reference, not a target: the same Python importing only the
database layer (SQLAlchemy, SQLModel and the core tables) that every command but `--help`
needs. On a machine busy with other work every figure grows; this one says how much of
`gepeto say` without a running bot is that floor.

Python keeps compiled bytecode in a private temporary cache here, as an installed Gepeto has it
(the Containerfile compiles it); `--no-bytecode` measures without one, as a development checkout
with PYTHONDONTWRITEBYTECODE=1 runs, where every import compiles its module again.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from bot.local_socket import SOCKET  # noqa: E402
from tests.support.home import clean_environment, write_bot_toml  # noqa: E402

GEPETO = "import sys; from bot.cli import main; sys.argv[0] = 'gepeto'; main()"
TARGETS_S = {"gepeto --help": 0.3, "gepeto say": 1.0, "gepeto say (gepeto run up)": 1.0}
BOT_READY_S = 120.0
DATABASE_LAYER = "import aiosqlite, sqlalchemy.ext.asyncio, sqlmodel, storage.models"


@dataclass(frozen=True)
class Call:
    cpu_s: float
    wall_s: float
    exit_code: int


def gepeto(config: Path, env: dict[str, str], *args: str) -> Call:
    """Runs `gepeto --config CONFIG ARGS` in a fresh process and measures it."""
    return python(config.parent, env, GEPETO, "--config", str(config), *args)


def python(cwd: Path, env: dict[str, str], code: str, *args: str) -> Call:
    """Runs `python -c CODE ARGS` in a fresh process and measures it."""
    command = [sys.executable, "-c", code, *args]
    started = time.perf_counter()
    child = subprocess.Popen(
        command,
        cwd=cwd,
        env=env,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    _, status, usage = os.wait4(child.pid, 0)
    wall_s = time.perf_counter() - started
    child.returncode = os.waitstatus_to_exitcode(status)
    return Call(usage.ru_utime + usage.ru_stime, wall_s, child.returncode)


def report(name: str, calls: Sequence[Call]) -> None:
    failed = [call.exit_code for call in calls if call.exit_code != 0]
    cpu = statistics.median(call.cpu_s for call in calls)
    wall = statistics.median(call.wall_s for call in calls)
    target = TARGETS_S.get(name)
    verdict = (
        ""
        if target is None
        else f"  target < {target:.1f} s: {'ok' if cpu < target else 'MISSED'}"
    )
    print(
        f"{name:<34} CPU {cpu:5.2f} s  wall {wall:5.2f} s  "
        f"(median of {len(calls)}, min CPU {min(c.cpu_s for c in calls):.2f} s){verdict}"
        + (f"  FAILED exits {failed}" if failed else "")
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=5, help="calls per command (default 5)")
    parser.add_argument(
        "--no-bytecode",
        action="store_true",
        help="without a bytecode cache (every import compiles)",
    )
    options = parser.parse_args()
    runs = options.runs
    with tempfile.TemporaryDirectory(prefix="gepeto-startup-") as home:
        config = write_bot_toml(Path(home))
        env = clean_environment()
        if options.no_bytecode:
            env["PYTHONDONTWRITEBYTECODE"] = "1"
            print("Without a bytecode cache:")
        else:
            env.pop("PYTHONDONTWRITEBYTECODE", None)
            env["PYTHONPYCACHEPREFIX"] = str(Path(home) / "pycache")
            print("With a bytecode cache (as installed):")
        say = ("say", "--as", "Alex", "add milk to the shopping list")
        report("gepeto say (first: migrates)", [gepeto(config, env, *say)])
        report("gepeto --help", [gepeto(config, env, "--help") for _ in range(runs)])
        report("gepeto say", [gepeto(config, env, *say) for _ in range(runs)])
        members = ("members", "list")
        report("gepeto members list", [gepeto(config, env, *members) for _ in range(runs)])
        quiet = {**env, "PYDANTIC_DISABLE_PLUGINS": "__all__"}  # as `gepeto` itself sets it
        floor = [python(config.parent, quiet, DATABASE_LAYER) for _ in range(runs)]
        report("(reference: database layer only)", floor)
        with running_bot(config, env):
            through = [gepeto(config, env, *say) for _ in range(runs)]
        report("gepeto say (gepeto run up)", through)


@contextlib.contextmanager
def running_bot(config: Path, env: dict[str, str]) -> Iterator[None]:
    """`gepeto run` on the household (the console channel, no LLM) until the block ends."""
    bot = subprocess.Popen(
        [sys.executable, "-m", "bot", "--config", str(config), "run"],
        cwd=config.parent,
        env=env,
        stdin=subprocess.PIPE,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + BOT_READY_S
        while not (config.parent / "data" / SOCKET).exists():
            if bot.poll() is not None or time.monotonic() > deadline:
                sys.exit("gepeto run did not start; run it by hand to see why")
            time.sleep(0.1)
        yield
    finally:
        bot.send_signal(signal.SIGTERM)
        bot.wait(timeout=BOT_READY_S)


if __name__ == "__main__":
    main()
