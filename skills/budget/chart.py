"""The month's chart: spending by category against its limit, and the month's running total.

Drawn with matplotlib's object API on the Agg canvas (no pyplot state), so it is safe in the
worker pool's threads. Amounts become floats only here, for drawing; the figures in the text
and the export come from the ledger's Decimal sums.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from pathlib import Path

SPENT = "#4c72b0"
OVER = "#c44e52"
LIMIT = "#333333"


@dataclass(frozen=True)
class CategoryBar:
    label: str
    spent: float
    limit: float | None


@dataclass(frozen=True)
class MonthChart:
    title: str
    currency: str
    bars: tuple[CategoryBar, ...]
    running_total: tuple[tuple[date, float], ...]
    """(day, total spent so far that month), one point per day with spending."""


def render(chart: MonthChart, path: Path) -> Path:
    """Writes the chart as a PNG at `path` (replacing it) and returns the path."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    figure = Figure(figsize=(8, 7), dpi=100, layout="constrained")
    FigureCanvasAgg(figure)
    by_category, trend = figure.subplots(2, 1, height_ratios=(3, 2))
    figure.suptitle(chart.title)

    labels = [bar.label for bar in chart.bars]
    positions = list(range(len(labels)))
    colours = [
        OVER if bar.limit is not None and bar.spent > bar.limit else SPENT for bar in chart.bars
    ]
    by_category.barh(positions, [bar.spent for bar in chart.bars], color=colours, label="spent")
    limited = [(i, bar.limit) for i, bar in enumerate(chart.bars) if bar.limit is not None]
    if limited:
        by_category.scatter(
            [limit for _, limit in limited],
            [i for i, _ in limited],
            marker="|",
            s=600,
            linewidths=3,
            color=LIMIT,
            label="limit",
            zorder=3,
        )
    by_category.set_yticks(positions, labels)
    by_category.invert_yaxis()
    by_category.set_xlabel(chart.currency)
    by_category.set_title("By category")
    if chart.bars:
        by_category.legend(loc="lower right")

    if chart.running_total:
        days = [day.day for day, _ in chart.running_total]
        trend.plot(days, [total for _, total in chart.running_total], marker="o", color=SPENT)
        trend.fill_between(days, [total for _, total in chart.running_total], alpha=0.15)
    trend.set_xlim(1, 31)
    trend.set_xlabel("day of the month")
    trend.set_ylabel(chart.currency)
    trend.set_title("Spent so far this month")

    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_suffix(".tmp.png")
    figure.savefig(temporary, format="png")
    temporary.replace(path)
    return path
