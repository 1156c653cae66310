"""Prints the round trip of a confirmation-free `read` SSH action with a warm connection.

Run: `python tests/benchmarks/ssh.py [--runs 200]`. A real app (temp dir, real router and
outbox) sends "/ssh nas show_word word=hello" to asyncssh's server on loopback, which runs the
forced-command checker (a Python process) and then `echo`. The first run opens the connection
and is reported apart; nothing here asserts.
"""

from __future__ import annotations

import argparse
import asyncio
import itertools
import statistics
import sys
import tempfile
import time
from datetime import timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

import asyncssh  # noqa: E402

from bot.app import open_app  # noqa: E402
from bot.clock import ManualClock  # noqa: E402
from bot.config import load_config  # noqa: E402
from bot.messages import Incoming  # noqa: E402
from skills.ssh.forced import authorized_keys_line  # noqa: E402
from tests.skills.ssh.conftest import write_household  # noqa: E402
from tests.skills.ssh.machine import family_machine  # noqa: E402
from tests.support.home import FamilyChats  # noqa: E402


async def measure(runs: int) -> None:
    with tempfile.TemporaryDirectory() as directory:
        home = Path(directory)
        client = asyncssh.generate_private_key("ssh-ed25519")
        host = asyncssh.generate_private_key("ssh-ed25519")
        key_file = home / "gepeto_key"
        key_file.write_bytes(client.export_private_key())
        key_file.chmod(0o600)
        checker = home / "nas" / "gepeto-ssh-check"
        line = authorized_keys_line(client, "nas", str(checker))
        async with family_machine(line, host) as machine:
            path = write_household(home, machine.port, host, checker)
            config = load_config(path, environ={"SSH_KEY_FILE": str(key_file)})
            clock = ManualClock()
            async with open_app(config, clock=clock) as app:
                await app.family.add("Ana", "parent")
                await app.family.link("Ana", "telegram:1001")
                chats = FamilyChats.open(app)
                numbers = itertools.count(1)

                async def once() -> float:
                    clock.advance(timedelta(seconds=10))  # below the members' rate limit
                    incoming = Incoming(
                        channel="telegram",
                        chat_id="1001",
                        sender="1001",
                        event_id=f"event-{next(numbers)}",
                        received_at=clock.now(),
                        text="/ssh nas show_word word=hello",
                    )
                    started = time.perf_counter()
                    outcome = await chats.send(incoming)
                    elapsed = time.perf_counter() - started
                    assert outcome.actions[0].status == "done", outcome.text
                    return elapsed

                cold = await once()
                warm = sorted([await once() for _ in range(runs)])
            connections = machine.connections
    p50 = statistics.median(warm)
    p95 = warm[min(len(warm) - 1, round(0.95 * len(warm)) - 1)]
    print(f"first run (connects): {cold * 1000:.1f} ms")
    print(
        f"warm read action, {runs} runs over {connections} connection(s): "
        f"p50 {p50 * 1000:.1f} ms, p95 {p95 * 1000:.1f} ms"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=100)
    asyncio.run(measure(parser.parse_args().runs))


if __name__ == "__main__":
    main()
