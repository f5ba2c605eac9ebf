"""The JSON API behind the pages (documented in docs/dashboard-api.md): same reports, raw values."""

from __future__ import annotations

from flask import Blueprint, jsonify, request

from integrations.web.dashboard.filters import FilterError
from integrations.web.dashboard.pages import PAGES, bounded_int
from integrations.web.dashboard.reports import Report
from integrations.web.dashboard.tables import Column, json_value
from integrations.web.dashboard.views import context
from swarm.errors import NotFound
from swarm.search import similar_cases


def register_api_routes(bp: Blueprint) -> None:
    @bp.get("/api/<page>")
    def api_page(page: str):
        if page not in PAGES:
            return jsonify(error=f"No API page '{page}' (pages: {', '.join(PAGES)}, cases/<key>, similar)"), 404
        try:
            report, filters = context().page(page, request.args)
        except FilterError as error:
            return jsonify(error=str(error)), 400
        return jsonify(page=page, filters=filters.as_dict(), **as_json(report))

    @bp.get("/api/cases/<key>")
    def api_case(key: str):
        try:
            report = context().case(key)
        except NotFound as error:
            return jsonify(error=str(error)), 404
        return jsonify(case=_case_json(report.details), **as_json(report))

    @bp.get("/api/similar")
    def api_similar():
        text = (request.args.get("text") or "")[:5000]
        limit = bounded_int(request.args.get("limit"), default=5, most=50)
        with context().container.store.read() as session:
            hits = similar_cases(session, text=text, limit=limit)
        return jsonify(similar=[{"case": h.key, "title": h.title, "customer": h.customer, "status": h.status,
                                 "resolved": json_value(Column("resolved", "", "datetime"), h.resolved_at)} for h in hits])


def as_json(report: Report) -> dict:
    kpis = [{**k, "value": json_value(Column(k["key"], k["label"], k["kind"]), k["value"])} for k in report.kpis]
    return {"title": report.title, "kpis": kpis, "tables": {name: t.as_json() for name, t in report.tables.items()}}


def _case_json(details: dict) -> dict:
    durations = {"engage_seconds", "resolve_seconds"}
    return {k: (round(v) if k in durations and v is not None else json_value(Column(k, k), v)) for k, v in details.items()}
