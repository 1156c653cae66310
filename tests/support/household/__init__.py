"""A plugin skill for tests: a sensitive door lock, a critical garage door, two appliances that
can be interrupted, and a kettle that never boils (it hangs until its timeout cuts it).

Every effect is one line appended to `<data_dir>/household.log`, so a test counts how often an
action really happened. Files in the data directory steer the interruptions:

- `power-cut`: the next appliance run raises PowerCut before its effect (in-process crash);
- `pause-in-tool`: the appliance writes `started` and waits for `release` before its effect;
- `pause-after-tool`: once the message is handled (tool finished, journal written) and before
  the inbox row is marked done, the process writes `started` and waits for `release`.
"""

from __future__ import annotations

import asyncio
import logging
import time
from pathlib import Path

from pydantic import BaseModel, Field

from bot.skills import Skill
from bot.tools import Risk, Tool, ToolContext, ToolResult

LOG_NAME = "household.log"
RELEASE_WAIT_S = 120.0
KETTLE_TIMEOUT_S = 0.05


class PowerCut(BaseException):
    """The process dies here: nothing after this point runs, not even error handling."""


class DoorArgs(BaseModel):
    door: str = Field(default="front", description="which door")


class NoArgs(BaseModel):
    pass


def household_log(data_dir: Path) -> list[str]:
    """Every effect the household tools have had, oldest first."""
    path = data_dir / LOG_NAME
    return path.read_text(encoding="utf-8").splitlines() if path.exists() else []


def _record(data_dir: Path, effect: str) -> None:
    with (data_dir / LOG_NAME).open("a", encoding="utf-8") as log:
        log.write(effect + "\n")


def _wait_for_release(data_dir: Path) -> None:
    (data_dir / "started").touch()
    deadline = time.monotonic() + RELEASE_WAIT_S
    while not (data_dir / "release").exists():
        if time.monotonic() > deadline:
            raise TimeoutError("the test never released the household skill")
        time.sleep(0.02)


class HoldAfterHandling(logging.Filter):
    """Blocks the process right after `tool` finished handling a message, until released."""

    def __init__(self, data_dir: Path, tool: str) -> None:
        super().__init__()
        self._data_dir = data_dir
        self._done = f"{tool}:done"

    def filter(self, record: logging.LogRecord) -> bool:
        actions = getattr(record, "actions", [])
        handled = record.getMessage() == "message handled" and self._done in actions
        if handled and not (self._data_dir / "release").exists():
            _wait_for_release(self._data_dir)
        return True


async def _appliance(ctx: ToolContext, tool: str, effect: str) -> None:
    data_dir = ctx.services.data_dir
    power_cut = data_dir / "power-cut"
    if power_cut.exists():
        power_cut.unlink()
        raise PowerCut(tool)
    if (data_dir / "pause-in-tool").exists() and not (data_dir / "release").exists():
        await asyncio.to_thread(_wait_for_release, data_dir)
    if (data_dir / "pause-after-tool").exists():
        logging.getLogger("gepeto.messages").addFilter(HoldAfterHandling(data_dir, tool))
    await asyncio.to_thread(_record, data_dir, effect)


async def unlock_door(ctx: ToolContext, args: DoorArgs) -> ToolResult:
    await asyncio.to_thread(_record, ctx.services.data_dir, f"unlocked {args.door}")
    return ToolResult(text=f"The {args.door} door is unlocked.", data={"door": args.door})


async def open_garage(ctx: ToolContext, _args: NoArgs) -> ToolResult:
    await asyncio.to_thread(_record, ctx.services.data_dir, "garage opened")
    return ToolResult(text="The garage door is open.")


async def boil_kettle(_ctx: ToolContext, _args: NoArgs) -> ToolResult:
    await asyncio.Event().wait()  # a watched kettle never boils
    return ToolResult(text="The water is boiling.")


async def start_dishwasher(ctx: ToolContext, _args: NoArgs) -> ToolResult:
    await _appliance(ctx, "household.start_dishwasher", "dishwasher started")
    return ToolResult(text="The dishwasher is running.")


async def ring_bell(ctx: ToolContext, _args: NoArgs) -> ToolResult:
    await _appliance(ctx, "household.ring_bell", "bell rang")
    return ToolResult(text="Ding! Dinner is ready.")


UNLOCK_DOOR = Tool(
    name="household.unlock_door",
    description="Unlock a door of the house.",
    args=DoorArgs,
    risk=Risk.SENSITIVE,
    run=unlock_door,
    describe=lambda a: f"unlock the {a.door} door",
)
OPEN_GARAGE = Tool(
    name="household.open_garage",
    description="Open the garage door.",
    args=NoArgs,
    risk=Risk.CRITICAL,
    run=open_garage,
    describe=lambda _a: "open the garage door",
)
BOIL_KETTLE = Tool(
    name="household.boil_kettle",
    description="Boil the kettle.",
    args=NoArgs,
    risk=Risk.WRITE,
    run=boil_kettle,
    describe=lambda _a: "boil the kettle",
    timeout_s=KETTLE_TIMEOUT_S,
)
START_DISHWASHER = Tool(
    name="household.start_dishwasher",
    description="Start the dishwasher.",
    args=NoArgs,
    risk=Risk.WRITE,
    run=start_dishwasher,
)
RING_BELL = Tool(
    name="household.ring_bell",
    description="Ring the dinner bell.",
    args=NoArgs,
    risk=Risk.WRITE,
    run=ring_bell,
    idempotent=False,
)

SKILL = Skill(
    name="household",
    tools=(UNLOCK_DOOR, OPEN_GARAGE, START_DISHWASHER, RING_BELL, BOIL_KETTLE),
    phrases=(Path(__file__).with_name("phrases.toml"),),
)
