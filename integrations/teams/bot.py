"""The bot: a Teams SDK App whose handlers call the use cases. Inbound activities arrive at POST /api/messages,
JWT-validated by the SDK against the Bot Framework's OpenID keys (TEAMS_OPENID_URL) before any handler runs.

    asgi = build_teams_asgi_app(container)   # a FastAPI app; serve it with uvicorn (see integrations.teams.server)
"""

from __future__ import annotations

import asyncio

from integrations.teams.handlers import case_card, escalation, messages
from integrations.teams.sender import new_app

MESSAGING_ENDPOINT = "/api/messages"


def build_teams_app(container):
    """The Teams SDK App with CaseSwarm's handlers; needs container.chats["teams"] (a TeamsChat)."""
    chat = container.chats["teams"]
    app = new_app(chat.settings, chat.tokens)
    for module in (escalation, case_card, messages):
        module.register(app, container)
    return app


def build_teams_asgi_app(container):
    """The ASGI (FastAPI) app serving POST /api/messages. Call it from synchronous start-up code: the SDK's
    initialize() is a coroutine, but does no I/O (it registers the route and the token validator)."""
    app = build_teams_app(container)
    loop = asyncio.new_event_loop()
    try:
        loop.run_until_complete(app.initialize())
    finally:
        loop.close()
    fastapi_app = app.server.adapter.app
    fastapi_app.state.teams_app = app  # kept for callers that want the SDK App (e.g. to send from the server loop)
    return fastapi_app
