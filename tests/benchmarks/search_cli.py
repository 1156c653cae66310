"""Prints how long `gepeto search` takes with `gepeto run` up (asked over its socket) and without.

Run: `python tests/benchmarks/search_cli.py [--notes 20] [--calls 5]`. Copies the shortest notes
of ../shared/data/vaults/obsidian-help into a temporary household (console channel, LLM off,
offline embedder), starts `gepeto run`, waits until its index holds every note, then times
whole `gepeto search` commands, Python's start-up included. Each figure is wall time and the
CPU seconds (user + sys) of the command, since the machine may be busy with other work.
Nothing here asserts: it reports.
"""

from __future__ import annotations

import argparse
import os
import resource
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from bot.local_socket import LocalRequest, ask_running_bot  # noqa: E402
from knowledge.ingestion import vault_notes  # noqa: E402

HELP_VAULT = ROOT / ".." / "shared" / "data" / "vaults" / "obsidian-help"
QUERIES = ("how do I link to a heading", "sync my vault to my phone", "canvas cards")
READY_WITHIN_S = 1200.0


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--notes", type=int, default=20, help="notes copied into the vault")
    parser.add_argument("--calls", type=int, default=5, help="timed searches per setting")
    arguments = parser.parse_args()
    if not HELP_VAULT.is_dir():
        sys.exit(f"no vault at {HELP_VAULT}: the shared data is missing")
    print(f"load average at start: {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores")
    # A short path: a unix socket's path has room for about 100 bytes.
    home = Path(tempfile.mkdtemp(prefix="gepeto-bench-"))
    try:
        config = household(home, arguments.notes)
        bot = subprocess.Popen(
            [sys.executable, "-m", "bot", "--config", str(config), "run"],
            cwd=home,
            env=environment(),
            stdin=subprocess.PIPE,
            stdout=subprocess.DEVNULL,
            stderr=(home / "bot.log").open("wb"),
        )
        try:
            started = time.perf_counter()
            wait_until_indexed(home / "data", arguments.notes, bot)
            print(
                f"gepeto run up with {arguments.notes} notes indexed after "
                f"{time.perf_counter() - started:.1f} s"
            )
            report("with gepeto run up", config, arguments.calls)
        finally:
            bot.send_signal(signal.SIGTERM)
            bot.wait(timeout=60)
        report("without a bot (the command opens the index)", config, min(arguments.calls, 2))
    finally:
        shutil.rmtree(home, ignore_errors=True)


def household(home: Path, notes: int) -> Path:
    """A household in `home` whose vault holds the `notes` shortest notes of the help vault."""
    shortest = sorted(vault_notes(HELP_VAULT.resolve()), key=lambda note: note[1].stat().st_size)
    for relative, path in shortest[:notes]:
        target = home / "vault" / relative
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(path, target)
    config = home / "bot.toml"
    config.write_text(
        '[storage]\ndata_dir = "data"\n[vault]\npath = "vault"\n[llm]\nenabled = false\n'
        '[knowledge]\nembedder = "offline"\nwatch = true\n',
        encoding="utf-8",
    )
    return config


def environment() -> dict[str, str]:
    prefixes = ("GEPETO_", "TELEGRAM_", "MATRIX_", "OLLAMA_")
    env = {k: v for k, v in os.environ.items() if not k.startswith(prefixes)}
    env["PYTHONPATH"] = str(ROOT)
    env["ANONYMIZED_TELEMETRY"] = "False"
    return env


def wait_until_indexed(data_dir: Path, notes: int, bot: subprocess.Popen[bytes]) -> None:
    deadline = time.monotonic() + READY_WITHIN_S
    while time.monotonic() < deadline:
        if bot.poll() is not None:
            sys.exit(f"gepeto run stopped (exit {bot.returncode}); see its log")
        status = ask_running_bot(data_dir, LocalRequest(command="status"), timeout=10)
        if status is not None and status["indexing"] is None and status["notes"] == notes:
            return
        time.sleep(0.2)
    sys.exit(f"gepeto run did not index {notes} notes within {READY_WITHIN_S:.0f} s")


def report(setting: str, config: Path, calls: int) -> None:
    walls: list[float] = []
    cpus: list[float] = []
    for call in range(calls):
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        started = time.perf_counter()
        completed = subprocess.run(
            [sys.executable, "-m", "bot", "--config", str(config), "search", QUERIES[call % 3]],
            cwd=config.parent,
            env=environment(),
            capture_output=True,
            check=False,
        )
        walls.append(time.perf_counter() - started)
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
        cpus.append(after.ru_utime - before.ru_utime + after.ru_stime - before.ru_stime)
        if completed.returncode != 0:
            sys.exit(f"gepeto search failed: {completed.stderr.decode()}")
    print(
        f"gepeto search {setting}: {calls} calls, wall median {statistics.median(walls):.2f} s "
        f"(min {min(walls):.2f}, max {max(walls):.2f}), CPU median "
        f"{statistics.median(cpus):.2f} s (min {min(cpus):.2f}, max {max(cpus):.2f})"
    )


if __name__ == "__main__":
    main()
