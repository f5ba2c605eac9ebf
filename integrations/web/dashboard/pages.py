"""Which report each page, export and API call builds, from the request's filters: one place for all three."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Callable

from integrations.web.dashboard import reports
from integrations.web.dashboard.case_report import case_report
from integrations.web.dashboard.filters import Filters, parse_filters
from integrations.web.dashboard.options import DashboardOptions
from integrations.web.dashboard.reports import Report

PAGES = ("overview", "timings", "load", "root_causes", "search")
TABLE_PAGE = {"open": "overview", "resolved": "overview", "by_department": "timings", "by_category": "timings",
              "by_severity": "timings", "weekly": "timings", "sla": "timings", "load": "load", "search": "search",
              "root_causes": "root_causes", "follow_ups": "root_causes"}
CASE_TABLES = ("participants", "decisions", "timeline", "similar")


@dataclass
class DashboardContext:
    """What the dashboard's views need, kept in app.extensions (no module-level state)."""

    container: object
    options: DashboardOptions
    clock: Callable[[], datetime]

    @property
    def at_risk_share(self) -> float:
        # "At risk" starts at the last SLA reminder (sla.yml `reminders`), so Slack and the dashboard agree.
        reminders = self.container.config.sla.reminders
        return reminders[-1] if reminders else 0.8

    def filters(self, args) -> Filters:
        return parse_filters(args, config=self.container.config, default_days=self.options.default_days)

    def page(self, name: str, args) -> tuple[Report, Filters]:
        """FilterError for a bad filter value."""
        filters = self.filters(args)
        now = self.clock()
        with self.container.store.read() as session:
            if name == "overview":
                report = reports.overview(session, scope=filters.scope(now), now=now, at_risk_share=self.at_risk_share)
            elif name == "timings":
                report = reports.timings(session, scope=filters.scope(now))
            elif name == "load":
                report = reports.load(session, scope=filters.scope(now))
            elif name == "root_causes":
                config = self.container.config
                report = reports.root_causes(session, scope=filters.scope(now), labels=dict(config.resolution.root_causes),
                                             departments={d: x.name for d, x in config.departments.items()})
            else:
                report = reports.search(session, query=(args.get("q") or "")[:500],
                                        limit=bounded_int(args.get("limit"), default=50, most=500),
                                        offset=bounded_int(args.get("offset"), default=0, most=100_000))
        return report, filters

    def case(self, key: str) -> Report:
        """NotFound when there is no such case."""
        with self.container.store.read() as session:
            return case_report(session, key=key, now=self.clock(), at_risk_share=self.at_risk_share,
                               crm_record_url=self.options.crm_record_url)


def bounded_int(value: str | None, *, default: int, most: int) -> int:
    """A count from a query parameter: the default when absent or not a number, never more than `most`."""
    return min(int(value), most) if value and value.isdigit() else default
