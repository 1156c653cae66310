"""The week's chores as a picture: points per member, and chores done on time vs late.

Drawn with matplotlib's object API on the Agg canvas (no pyplot state), so it is safe in the
worker pool's threads.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

POINTS = "#4c72b0"
ON_TIME = "#55a868"
LATE = "#dd8452"


@dataclass(frozen=True)
class MemberWeek:
    name: str
    points: int
    on_time: int
    late: int


@dataclass(frozen=True)
class WeekChart:
    title: str
    members: tuple[MemberWeek, ...]


def render(chart: WeekChart, path: Path) -> Path:
    """Writes the chart as a PNG at `path` (replacing it) and returns the path."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    figure = Figure(figsize=(8, 6), dpi=100, layout="constrained")
    FigureCanvasAgg(figure)
    points, done = figure.subplots(1, 2)
    figure.suptitle(chart.title)
    names = [member.name for member in chart.members]
    positions = list(range(len(names)))

    points.bar(positions, [member.points for member in chart.members], color=POINTS)
    points.set_xticks(positions, names)
    points.set_ylabel("points")
    points.set_title("Points")

    on_time = [member.on_time for member in chart.members]
    done.bar(positions, on_time, color=ON_TIME, label="on time")
    done.bar(positions, [m.late for m in chart.members], bottom=on_time, color=LATE, label="late")
    done.set_xticks(positions, names)
    done.set_ylabel("chores done")
    done.set_title("On time vs late")
    if chart.members:
        done.legend(loc="upper right")

    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_suffix(".tmp.png")
    figure.savefig(temporary, format="png")
    temporary.replace(path)
    return path
