"""HTML pages and CSV exports of the dashboard. Each view builds a report and renders it; nothing else."""

from __future__ import annotations

from flask import Blueprint, Response, abort, current_app, flash, redirect, render_template, request, url_for

from integrations.web.dashboard.charts import charts_for
from integrations.web.dashboard.filters import PERIODS, FilterError
from integrations.web.dashboard.pages import CASE_TABLES, TABLE_PAGE, DashboardContext
from integrations.web.dashboard.tables import Table
from swarm.errors import InvalidInput, NotFound
from swarm.usecases.improvements import request_improvement
from swarm.model import Severity


def register_page_routes(bp: Blueprint) -> None:
    @bp.get("/")
    def overview():
        return _page("overview")

    @bp.get("/timings")
    def timings():
        return _page("timings")

    @bp.get("/load")
    def load():
        return _page("load")

    @bp.get("/root-causes")
    def root_causes():
        return _page("root_causes")

    @bp.post("/root-causes/<cause>/improvement")
    def open_improvement(cause: str):
        try:
            key = request_improvement(context().container.store, config=context().container.config, cause=cause,
                                      department=request.form.get("department") or None, requested_by="dashboard")
        except InvalidInput as error:
            abort(400, description=" ".join(error.fields.values()))
        flash(f"Improvement item for '{cause}' requested ({key}); it appears in Jira in a moment.")
        return redirect(url_for("dashboard.root_causes"))

    @bp.get("/search")
    def search():
        return _page("search")

    @bp.get("/cases/<key>")
    def case_page(key: str):
        report = _case_or_404(key)
        return render_template("dashboard/case.html", report=report, case=report.details, page="case")

    _register_exports(bp)


def _register_exports(bp: Blueprint) -> None:
    @bp.get("/export/<name>.csv")
    def export_csv(name: str):
        if name not in TABLE_PAGE:
            abort(404, description=f"No table '{name}' to export (tables: {', '.join(TABLE_PAGE)})")
        report, _ = _report_or_400(TABLE_PAGE[name])
        return _csv(report.tables[name])

    @bp.get("/cases/<key>/<name>.csv")
    def export_case_csv(key: str, name: str):
        if name not in CASE_TABLES:
            abort(404, description=f"No case table '{name}' (tables: {', '.join(CASE_TABLES)})")
        table = _case_or_404(key).tables[name]
        return _csv(table, filename=f"{key.upper()}-{name}.csv")


def context() -> DashboardContext:
    return current_app.extensions["caseswarm_dashboard"]


def _page(name: str):
    report, filters = _report_or_400(name)
    config = context().container.config
    return render_template(f"dashboard/{name}.html", report=report, filters=filters, page=name,
                           charts=charts_for(name, report), periods=PERIODS, departments=config.departments,
                           categories=config.categories, severities=[s.value for s in Severity],
                           query=request.args.get("q", ""))


def _report_or_400(name: str):
    try:
        return context().page(name, request.args)
    except FilterError as error:
        abort(400, description=str(error))


def _case_or_404(key: str):
    try:
        return context().case(key)
    except NotFound as error:
        abort(404, description=str(error))


def _csv(table: Table, *, filename: str | None = None) -> Response:
    response = Response(table.as_csv(), mimetype="text/csv")
    response.headers["Content-Disposition"] = f'attachment; filename="{filename or table.name + ".csv"}"'
    return response
