"""Charts drawn on the server as inline SVG: no JavaScript, readable next to the table they summarise.

Colours come from CSS classes (.series-0, .series-1, ...) in dashboard.css; every chart has a <title> and
per-mark <title> tooltips, and the numbers are always in the table beside it too.
"""

from __future__ import annotations

from markupsafe import Markup, escape

from swarm.usecases.common import format_duration

WIDTH, LABEL_WIDTH, VALUE_WIDTH = 570, 100, 64
TOP = 48  # room for the title and the legend
BAR, GAP = 12, 10


def label_for(value: float | None, kind: str) -> str:
    if value is None:
        return "—"
    if kind == "duration":
        return format_duration(value)
    if kind == "percent":
        return f"{value * 100:.0f}%"
    return f"{value:g}"


def bar_chart(*, title: str, groups: list[str], series: list[tuple[str, list[float | None]]], kind: str = "duration",
              top: float | None = None) -> Markup:
    """Horizontal bars, one block per group and one bar per series (e.g. median and p90 per department)."""
    if not groups:
        return Markup("")
    top = top or max((v for _, values in series for v in values if v), default=1) or 1
    span = WIDTH - LABEL_WIDTH - VALUE_WIDTH
    block = len(series) * BAR + GAP
    height = TOP + len(groups) * block
    parts = [_open(title, height), _legend([name for name, _ in series])]
    for g, group in enumerate(groups):
        y0 = TOP + g * block
        parts.append(f'<text class="axis" x="{LABEL_WIDTH - 8}" y="{y0 + len(series) * BAR / 2 + 4}" text-anchor="end">'
                     f"{escape(group)}</text>")
        for s, (name, values) in enumerate(series):
            value = values[g]
            width = 0 if value is None else max(1.0, span * value / top)
            y = y0 + s * BAR
            text = label_for(value, kind)
            parts.append(f'<rect class="series-{s}" x="{LABEL_WIDTH}" y="{y}" width="{width:.1f}" height="{BAR - 2}">'
                         f"<title>{escape(group)} · {escape(name)}: {escape(text)}</title></rect>")
            parts.append(f'<text class="value" x="{LABEL_WIDTH + width + 4:.1f}" y="{y + BAR - 3}">{escape(text)}</text>')
    parts.append("</svg>")
    return Markup("".join(parts))


def line_chart(*, title: str, labels: list[str], series: list[tuple[str, list[float | None]]],
               kind: str = "duration") -> Markup:
    """Lines over time (e.g. weekly median and p90); a missing value breaks the line."""
    if not labels:
        return Markup("")
    height, left, bottom, top_pad = 260, 70, 30, TOP + 4
    plot_w, plot_h = WIDTH - left - 20, height - bottom - top_pad
    top = max((v for _, values in series for v in values if v), default=1) or 1
    x = lambda i: left + (plot_w * i / max(1, len(labels) - 1) if len(labels) > 1 else plot_w / 2)  # noqa: E731
    y = lambda v: top_pad + plot_h * (1 - v / top)  # noqa: E731
    parts = [_open(title, height), _legend([name for name, _ in series])]
    for step in range(5):  # gridlines at 0, 25, 50, 75, 100% of the largest value
        value = top * step / 4
        parts.append(f'<line class="grid" x1="{left}" x2="{left + plot_w}" y1="{y(value):.1f}" y2="{y(value):.1f}"/>'
                     f'<text class="axis" x="{left - 6}" y="{y(value) + 4:.1f}" text-anchor="end">{escape(label_for(value, kind))}</text>')
    every = max(1, len(labels) // 8)
    for i, label in enumerate(labels):
        if i % every == 0:
            parts.append(f'<text class="axis" x="{x(i):.1f}" y="{height - 10}" text-anchor="middle">{escape(label)}</text>')
    for s, (name, values) in enumerate(series):
        parts.extend(_line(s, name, labels, values, x, y, kind))
    parts.append("</svg>")
    return Markup("".join(parts))


def _line(s: int, name: str, labels: list[str], values: list[float | None], x, y, kind: str) -> list[str]:
    parts, run = [], []
    for i, value in enumerate(values + [None]):
        if value is None:
            if len(run) > 1:
                parts.append(f'<polyline class="line series-{s}" points="{" ".join(run)}"/>')
            run = []
            continue
        run.append(f"{x(i):.1f},{y(value):.1f}")
        parts.append(f'<circle class="series-{s}" cx="{x(i):.1f}" cy="{y(value):.1f}" r="3">'
                     f"<title>{escape(labels[i])} · {escape(name)}: {escape(label_for(value, kind))}</title></circle>")
    return parts


def _open(title: str, height: int) -> str:
    return (f'<svg class="chart" xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {WIDTH} {height}" width="{WIDTH}" '
            f'height="{height}" role="img"><title>{escape(title)}</title>'
            f'<text class="title" x="2" y="14">{escape(title)}</text>')


def _legend(names: list[str]) -> str:
    items = []
    for s, name in enumerate(names):
        x = 2 + s * 150
        items.append(f'<rect class="series-{s}" x="{x}" y="24" width="12" height="12"/>'
                     f'<text class="legend" x="{x + 18}" y="34">{escape(name)}</text>')
    return "".join(items)
