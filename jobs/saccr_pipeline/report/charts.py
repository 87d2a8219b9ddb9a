"""The run report's charts as inline SVG (matplotlib, Agg backend): the page needs no script and no network
to show them, offline and on desktops that block CDNs."""

from __future__ import annotations

import io
from collections.abc import Mapping, Sequence

import pandas as pd

from saccr_pipeline.report.figures import Movement

WIDTH = 7.5  # inches; the page is about 1,000 pixels wide
BLUE, GREEN, RED, GREY = "#2f6db5", "#3a9a5b", "#c8453c", "#8c8c8c"


def _plt():
    import matplotlib

    matplotlib.use("Agg", force=True)
    matplotlib.rcParams.update({"svg.fonttype": "none", "font.size": 9, "axes.spines.top": False,
                                "axes.spines.right": False})  # fmt: skip
    import matplotlib.pyplot as plt

    return plt


def _svg(fig) -> str:
    plt = _plt()
    buffer = io.StringIO()
    fig.tight_layout()
    fig.savefig(buffer, format="svg")
    plt.close(fig)
    text = buffer.getvalue()
    return text[text.index("<svg") :]  # the element only: the page is HTML, not an SVG document


def _millions(ax, axis: str = "x") -> None:
    """Amount ticks in millions, or billions when the axis reaches ten billion."""
    from matplotlib.ticker import FuncFormatter

    top = max(abs(v) for v in (ax.get_xlim() if axis == "x" else ax.get_ylim()))
    scale, suffix = (1e9, "bn") if top >= 1e10 else (1e6, "m")
    formatter = FuncFormatter(lambda v, _: f"{v / scale:,.0f}{suffix}")
    (ax.xaxis if axis == "x" else ax.yaxis).set_major_formatter(formatter)


def horizontal_bars(labels: Sequence[str], values: Sequence[float], title: str, unit: str) -> str:
    """One bar per label, the largest on top."""
    plt = _plt()
    fig, ax = plt.subplots(figsize=(WIDTH, 0.35 * len(labels) + 1.0))
    ax.barh(list(labels)[::-1], list(values)[::-1], color=BLUE)
    ax.set_title(title, loc="left")
    ax.set_xlabel(unit)
    _millions(ax)
    return _svg(fig)


def stacked_bars(table: pd.DataFrame, index: str, columns: str, values: str, title: str, unit: str) -> str:
    """Bars per `index`, stacked by `columns` (e.g. add-on per legal entity, by asset class)."""
    plt = _plt()
    wide = table.pivot_table(index=index, columns=columns, values=values, aggfunc="sum", fill_value=0.0)
    wide = wide.loc[wide.sum(axis=1).sort_values().index]
    fig, ax = plt.subplots(figsize=(WIDTH, 0.45 * len(wide) + 1.4))
    left = pd.Series(0.0, index=wide.index)
    colours = plt.get_cmap("tab10")
    for n, column in enumerate(wide.columns):
        ax.barh(wide.index, wide[column], left=left, label=column, color=colours(n % 10))
        left += wide[column]
    ax.set_title(title, loc="left", pad=24)
    ax.set_xlabel(unit)
    ax.legend(ncols=min(len(wide.columns), 6), fontsize=8, loc="lower left", bbox_to_anchor=(0, 1.06),
              frameon=False)  # fmt: skip
    _millions(ax)
    return _svg(fig)


def waterfall(movement: Movement, unit: str) -> str:
    """EAD of the previous date, then new, matured, RC and PFE changes, then the date's EAD. The axis is
    zoomed on the levels the bars reach (a day's changes are small next to the totals), and says so."""
    plt = _plt()
    steps = [("new", movement.new), ("matured", movement.matured), ("RC", movement.rc), ("PFE", movement.pfe)]
    levels = [movement.previous_ead]
    for _, change in steps:
        levels.append(levels[-1] + change)
    low, high = min(*levels, movement.ead), max(*levels, movement.ead)
    pad = max(high - low, 0.01 * max(abs(high), 1.0)) * 0.6
    fig, ax = plt.subplots(figsize=(WIDTH, 3.4))
    ax.bar([str(movement.previous_as_of)], [movement.previous_ead], color=GREY)
    for (label, change), level in zip(steps, levels, strict=False):
        ax.bar([label], [abs(change)], bottom=min(level, level + change), color=GREEN if change >= 0 else RED)
        ax.annotate(f"{change / 1e6:+,.1f}m", (label, max(level, level + change)), ha="center",
                    va="bottom", fontsize=8, xytext=(0, 2), textcoords="offset points")  # fmt: skip
    ax.bar(["this date"], [movement.ead], color=BLUE)
    ax.set_ylim(low - pad, high + pad)
    ax.set_title("EAD movement from the previous published date (axis not from zero)", loc="left")
    ax.set_ylabel(unit)
    _millions(ax, "y")
    return _svg(fig)


def step_timings(seconds: Mapping[str, float]) -> str:
    """Seconds per step (of the batch the date ran in)."""
    plt = _plt()
    fig, ax = plt.subplots(figsize=(WIDTH, 0.35 * len(seconds) + 1.0))
    names = list(seconds)
    ax.barh(names[::-1], [seconds[n] for n in names][::-1], color=GREY)
    ax.set_title("Seconds per step (the batch the date ran in)", loc="left")
    ax.set_xlabel("seconds")
    return _svg(fig)
