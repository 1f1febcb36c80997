"""The picture of ``/parley usage``: tokens and estimated cost per day for the last 30 days, by model,
with the daily budgets drawn as lines when they are set.

``chart_data`` is pure (what the chart shows, testable as numbers); ``render_png`` draws it with
matplotlib's Agg backend (offline, headless, no display) on a ``Figure`` of its own (no pyplot state).
Days are UTC calendar days.
"""

from __future__ import annotations

import io
import threading
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, timedelta

from core.records import DailyUsage

CHART_DAYS = 30
WIDTH_PX, HEIGHT_PX, DPI = 1200, 800, 100
PNG_MIME_TYPE = "image/png"
BUDGET_COLOUR = "#e6007e"  # not one of the bars' colours (matplotlib's default cycle)


@dataclass(frozen=True, slots=True)
class BudgetLine:
    label: str  # "workspace daily budget"
    value: float  # tokens, or USD


@dataclass(frozen=True, slots=True)
class UsageChartData:
    """One value per day (oldest first) per model; budgets as horizontal lines."""

    title: str
    days: tuple[date, ...]
    tokens: dict[str, tuple[int, ...]]
    cost_usd: dict[str, tuple[float, ...]]
    token_budgets: tuple[BudgetLine, ...] = ()
    usd_budgets: tuple[BudgetLine, ...] = ()

    def tokens_on(self, day: date) -> int:
        i = self.days.index(day)
        return sum(values[i] for values in self.tokens.values())


def chart_data(
    rows: Sequence[DailyUsage],
    *,
    today: date,
    title: str,
    days: int = CHART_DAYS,
    token_budgets: Sequence[BudgetLine] = (),
    usd_budgets: Sequence[BudgetLine] = (),
) -> UsageChartData:
    """The ``days`` days up to ``today`` (days without usage are 0), one series per model, biggest first."""
    span = tuple(today - timedelta(days=days - 1 - n) for n in range(days))
    index = {day: n for n, day in enumerate(span)}
    tokens: dict[str, list[int]] = {}
    cost: dict[str, list[float]] = {}
    for row in rows:
        if row.day not in index:
            continue
        tokens.setdefault(row.model, [0] * days)[index[row.day]] += row.tokens
        cost.setdefault(row.model, [0.0] * days)[index[row.day]] += row.cost_micro_usd / 1_000_000
    models = sorted(tokens, key=lambda m: (-sum(tokens[m]), m))
    return UsageChartData(
        title=title, days=span, tokens={m: tuple(tokens[m]) for m in models},
        cost_usd={m: tuple(cost[m]) for m in models}, token_budgets=tuple(token_budgets), usd_budgets=tuple(usd_budgets),
    )


class UsageChart:
    """Draws charts one at a time (matplotlib's font cache and text layout are not thread-safe)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()

    def render_png(self, data: UsageChartData) -> bytes:
        with self._lock:
            return render_png(data)


def render_png(data: UsageChartData) -> bytes:
    """A PNG of ``WIDTH_PX`` × ``HEIGHT_PX``: stacked bars per model, tokens above and USD below."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg  # noqa: PLC0415 (a second to import: only when drawn)
    from matplotlib.figure import Figure  # noqa: PLC0415

    figure = Figure(figsize=(WIDTH_PX / DPI, HEIGHT_PX / DPI), dpi=DPI)
    FigureCanvasAgg(figure)
    tokens_axes, cost_axes = figure.subplots(2, 1, sharex=True)
    _stacked(tokens_axes, data.days, data.tokens, data.token_budgets, ylabel="tokens")
    _stacked(cost_axes, data.days, data.cost_usd, data.usd_budgets, ylabel="estimated cost (USD)")
    tokens_axes.set_title(data.title)
    cost_axes.set_xticks(range(len(data.days)))
    cost_axes.set_xticklabels([f"{d:%m-%d}" for d in data.days], rotation=90, fontsize=8)
    if not data.tokens:
        tokens_axes.text(0.5, 0.5, "no usage in these 30 days", transform=tokens_axes.transAxes, ha="center")
    figure.subplots_adjust(left=0.08, right=0.98, top=0.95, bottom=0.09, hspace=0.08)  # fixed: tight_layout costs more than the drawing
    out = io.BytesIO()
    figure.savefig(out, format="png", dpi=DPI, pil_kwargs={"compress_level": 3})
    return out.getvalue()


def _stacked(axes, days, series, budgets, *, ylabel: str) -> None:
    positions = range(len(days))
    bottom = [0.0] * len(days)
    for model, values in series.items():
        axes.bar(positions, values, bottom=bottom, label=model, width=0.8)
        bottom = [b + v for b, v in zip(bottom, values)]
    for line in budgets:
        axes.axhline(line.value, color=BUDGET_COLOUR, linestyle="--", linewidth=1.5, label=line.label)
    axes.set_ylabel(ylabel)
    axes.grid(axis="y", alpha=0.3)
    if series or budgets:
        axes.legend(loc="upper left", fontsize=8)
