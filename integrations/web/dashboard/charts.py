"""The charts each page draws from its report's tables."""

from __future__ import annotations

from markupsafe import Markup

from integrations.web.dashboard.reports import Report
from integrations.web.dashboard.svg import bar_chart, line_chart


def charts_for(page: str, report: Report) -> dict[str, Markup]:
    """Charts keyed by the table they sit beside."""
    t = report.tables
    if page == "timings":
        return {name: _timing_bars(t[name]) for name in ("by_department", "by_category", "by_severity")} | {
            "weekly": _weekly(t["weekly"]), "sla": _compliance(t["sla"])}
    if page == "load":
        rows = t["load"].rows[:25]
        return {"load": bar_chart(title="Open swarms per expert", groups=[r["name"] for r in rows],
                                  series=[("open swarms", [r["open_swarms"] for r in rows]),
                                          ("decisions in period", [r["decisions"] for r in rows])], kind="int")}
    return {}


def _timing_bars(table) -> Markup:
    groups = [r["group"] for r in table.rows]
    engage = bar_chart(title=f"Time to engage, {table.title.lower()}", groups=groups,
                       series=[("engage median", _col(table, "engage_median")), ("engage p90", _col(table, "engage_p90"))])
    resolve = bar_chart(title=f"Time to resolve, {table.title.lower()}", groups=groups,
                        series=[("resolve median", _col(table, "resolve_median")), ("resolve p90", _col(table, "resolve_p90"))])
    return Markup(f'<div class="charts">{engage}{resolve}</div>')


def _weekly(table) -> Markup:
    labels = [r["group"][5:] for r in table.rows]  # MM-DD of the week's Monday
    resolve = line_chart(title="Time to resolve per week", labels=labels,
                         series=[("resolve median", _col(table, "resolve_median")), ("resolve p90", _col(table, "resolve_p90"))])
    engage = line_chart(title="Time to engage per week", labels=labels,
                        series=[("engage median", _col(table, "engage_median")), ("engage p90", _col(table, "engage_p90"))])
    return Markup(f'<div class="charts">{resolve}{engage}</div>')


def _compliance(table) -> Markup:
    return bar_chart(title="SLA compliance per department", groups=[r["group"] for r in table.rows],
                     series=[("engage SLA met", _col(table, "engage_share")), ("resolve SLA met", _col(table, "resolve_share"))],
                     kind="percent", top=1.0)


def _col(table, key: str) -> list:
    return [r[key] for r in table.rows]
