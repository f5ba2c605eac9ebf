"""GET /cases/<key>/channel?sig=…: where the case channel link in a Jira issue leads (swarm/case_links.py).

A redirect to the channel once it exists, a "being opened" page that reloads itself until then. It writes nothing.
The signature is checked before the case is looked up, so an unsigned request learns nothing, not even whether the
case exists.
"""

from __future__ import annotations

import logging
from html import escape

from flask import Flask, Response, redirect, request

from swarm.case_links import case_channel, signed
from swarm.errors import ExternalError

REFRESH_SECONDS = 3
log = logging.getLogger("caseswarm.web")


def register_case_links(app: Flask, container) -> None:
    keys = container.settings.case_link_keys  # none: no link was ever issued, so every request is refused

    @app.get("/cases/<case_key>/channel")
    def case_channel_link(case_key: str):
        if not keys or not signed(keys, case_key, request.args.get("sig", "")):
            return _page(403, "Not a valid link", "This link to a case channel is not valid.")
        with container.store.read() as session:
            where = case_channel(session, case_key)
        if where is None:
            return _page(404, "No such case", f"There is no case {case_key}.")
        chat = container.chats.get(where.platform)
        if chat is None:
            return _page(404, "Channel not reachable", f"{where.key}'s channel is on {where.platform}, "
                                                       "which this CaseSwarm no longer connects to.")
        if where.channel_id is None:
            return _page(200, f"{where.key} is being opened",
                         f"{where.key} is being opened; its channel will be ready in a moment.")
        try:
            return redirect(chat.for_workspace(where.workspace_id).channel_url(where.channel_id), code=302)
        except ExternalError as exc:  # the platform's address look-up failed (Slack's auth.test, a Teams channel)
            log.warning("case_link.lookup_failed case_key=%s reason=%s", where.key, exc.reason)
            return _page(503 if exc.retryable else 502, "Try again", f"{where.key}'s channel could not be looked up.")


def _page(status: int, title: str, text: str) -> Response:
    refresh = f'<meta http-equiv="refresh" content="{REFRESH_SECONDS}">' if status in (200, 503) else ""
    body = (f"<!doctype html><html><head><meta charset=\"utf-8\">{refresh}<title>{escape(title)}</title></head>"
            f"<body><p>{escape(text)}</p></body></html>")
    # no-store: the "being opened" answer must not be served again once the channel exists.
    return Response(body, status=status, mimetype="text/html",
                    headers={"Cache-Control": "no-store", "Referrer-Policy": "no-referrer"})
